// The read_committed filter over raw fetch batches, as the Java consumer applies it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Batch, committedRecords } from '../../../src/cursor/read-committed.ts'

const TXN = 0x10
const CONTROL = 0x20 | TXN

const data = (firstOffset: bigint, producerId: bigint, values: string[]): Batch => ({
  firstOffset,
  lastOffsetDelta: values.length - 1,
  attributes: TXN,
  producerId,
  records: values.map((v, i) => ({ offsetDelta: i, key: null, value: Buffer.from(v) })),
})
const marker = (offset: bigint, producerId: bigint, commit: boolean): Batch => {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(commit ? 1 : 0, 2)
  return {
    firstOffset: offset,
    lastOffsetDelta: 0,
    attributes: CONTROL,
    producerId,
    records: [{ offsetDelta: 0, key, value: null }],
  }
}
const values = (batches: Batch[], aborted: { producerId: bigint; firstOffset: bigint }[]) =>
  committedRecords(batches, aborted).map((r) => r.value?.toString())

test('several aborted transactions of one producer in one response are all skipped', () => {
  // one transactional id across restarts: same producer id, aborted, committed, aborted, committed
  const batches = [
    data(0n, 7n, ['a1', 'a2']),
    marker(2n, 7n, false),
    data(3n, 7n, ['c1']),
    marker(4n, 7n, true),
    data(5n, 7n, ['a3']),
    marker(6n, 7n, false),
    data(7n, 7n, ['c2']),
    marker(8n, 7n, true),
  ]
  const aborted = [
    { producerId: 7n, firstOffset: 0n },
    { producerId: 7n, firstOffset: 5n },
  ]
  assert.deepEqual(values(batches, aborted), ['c1', 'c2'])
})

test('an aborted transaction whose marker comes in a later response is skipped', () => {
  assert.deepEqual(
    values(
      [data(0n, 7n, ['c1']), marker(1n, 7n, true), data(2n, 7n, ['a1'])],
      [{ producerId: 7n, firstOffset: 2n }],
    ),
    ['c1'],
  )
})

test('other producers and non-transactional batches are untouched', () => {
  const plain: Batch = { ...data(3n, 9n, ['p']), attributes: 0 }
  const batches = [data(0n, 7n, ['a']), data(1n, 8n, ['other']), marker(2n, 7n, false), plain]
  assert.deepEqual(values(batches, [{ producerId: 7n, firstOffset: 0n }]), ['other', 'p'])
})
