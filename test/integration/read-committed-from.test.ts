// readCommittedPartition read on from where the last read ended (the backfill seam's `now` mode
// follows `<work>.done` so), on the real broker: each committed record once, an open transaction
// neither seen nor skipped (its records come with the read after its commit), an aborted one never.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readCommittedPartition } from '../../src/cursor/read-committed.ts'
import { makeProducer, makeReader } from '../helpers/backfill-world.ts'
import { createTopic, uniqueTopic } from '../helpers/kafka.ts'

const FRESH_PRODUCER = { producerId: -1n, producerEpoch: -1 }

test('read on from the last stable offset: each committed record once, in later reads as they commit', async () => {
  const topic = uniqueTopic('rc-from')
  await createTopic(topic, 1)
  const a = makeProducer(`rc-from-a-${topic}`)
  const b = makeProducer(`rc-from-b-${topic}`)
  const reader = makeReader()
  const msg = (v: string) => ({ topic, partition: 0, key: v, value: Buffer.from(v) })
  const read = async (from?: bigint) => {
    const seen: string[] = []
    const next = await readCommittedPartition(reader, topic, 0, (r) => seen.push(r.value!.toString()), from)
    return { seen, next }
  }
  /** reads on until `want` records were seen in all (a commit's markers are written after it returns) */
  const readOn = async (from: bigint, want: number) => {
    const seen: string[] = []
    let next = from
    for (let i = 0; i < 100 && seen.length < want; i++) {
      const r = await read(next)
      seen.push(...r.seen)
      next = r.next
      if (seen.length < want) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return { seen, next }
  }
  try {
    let t = await a.beginTransaction(FRESH_PRODUCER)
    await t.send({ messages: [msg('a1'), msg('a2')] })
    await t.commit()
    // b opens a transaction and leaves it open; a commits another after it
    const open = await b.beginTransaction(FRESH_PRODUCER)
    await open.send({ messages: [msg('b1')] })
    t = await a.beginTransaction({})
    await t.send({ messages: [msg('a3')] })
    await t.commit()

    // up to b's open transaction at most: a3 is past the stable offset while b1 is undecided
    const first = await readOn(0n, 2)
    assert.deepEqual(first.seen, ['a1', 'a2'])
    const none = await read(first.next)
    assert.deepEqual(none.seen, [], 'nothing stable past b1 while b is open')
    assert.equal(none.next, first.next)

    await open.commit()
    t = await a.beginTransaction({})
    await t.send({ messages: [msg('a4')] })
    await t.abort()
    t = await a.beginTransaction({})
    await t.send({ messages: [msg('a5')] })
    await t.commit()

    const second = await readOn(first.next, 3)
    assert.deepEqual(
      second.seen.sort(),
      ['a3', 'a5', 'b1'],
      'what committed since, once; the aborted a4 never',
    )
    assert.deepEqual((await read(second.next)).seen, [], 'each once')
    assert.deepEqual((await read()).seen.sort(), ['a1', 'a2', 'a3', 'a5', 'b1'], 'from the start: all of it')
  } finally {
    await a.close()
    await b.close()
    await reader.close(true)
  }
})
