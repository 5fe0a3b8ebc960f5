// Merged streams: each item as soon as its stream has it; a stream that waits holds up none of
// the others; one that ends leaves the rest going; one that throws ends the merge.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mergeStreams } from '../../../../src/sources/labels/merge-streams.ts'

async function* items<T>(values: T[], gate?: Promise<void>) {
  if (gate !== undefined) await gate
  for (const v of values) yield v
}

test('a stream that waits holds up none of the others; all items come, each stream in order', async () => {
  let open = () => {}
  const gate = new Promise<void>((r) => {
    open = r
  })
  const merged = mergeStreams([items(['s1', 's2'], gate), items(['a1', 'a2', 'a3']), items([])])
  const got: string[] = []
  for (let i = 0; i < 3; i++) got.push((await merged.next()).value as string)
  assert.deepEqual(got, ['a1', 'a2', 'a3'], 'the waiting stream did not hold the others')
  open()
  for await (const v of merged) got.push(v)
  assert.deepEqual(got, ['a1', 'a2', 'a3', 's1', 's2'])
})

test('a stream that throws ends the merge with its error', async () => {
  async function* failing() {
    yield 1
    throw new Error('labeler says FutureCursor')
  }
  const got: number[] = []
  await assert.rejects(
    (async () => {
      for await (const v of mergeStreams([failing(), items([10, 11])])) got.push(v)
    })(),
    /FutureCursor/,
  )
  assert.ok(got.includes(1))
})
