// The read_committed decision over raw (uncommitted) fetch batches: each transaction is kept or
// dropped by its own control marker, across fetch responses.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Batch, type CommittedRecord, committedRecords } from '../../../src/cursor/read-committed.ts'

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
const values = (batches: Batch[], open?: Map<bigint, CommittedRecord[]>) =>
  committedRecords(batches, open).map((r) => r.value?.toString())

test('aborted and committed transactions of one producer (one transactional id across restarts)', () => {
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
  assert.deepEqual(values(batches), ['c1', 'c2'])
})

test('committed transactions after an aborted one are all seen (the client filter dropped them)', () => {
  // what a kill between the cursor record and the commit leaves in the cursor topic
  const batches = [
    data(27n, 0n, ['30940']),
    marker(28n, 0n, true),
    data(29n, 0n, ['aborted']),
    marker(30n, 0n, false),
    data(31n, 0n, ['33001']),
    marker(32n, 0n, true),
    data(33n, 0n, ['34647']),
    marker(34n, 0n, true),
  ]
  assert.deepEqual(values(batches), ['30940', '33001', '34647'])
})

test('a transaction is decided by a marker in a later response; an undecided one is never seen', () => {
  const open = new Map<bigint, CommittedRecord[]>()
  assert.deepEqual(values([data(0n, 7n, ['c1']), data(1n, 8n, ['o1'])], open), [])
  assert.deepEqual(values([marker(2n, 7n, true), data(3n, 8n, ['o2'])], open), ['c1'])
  assert.deepEqual([...open.keys()], [8n], 'producer 8 is still open')
})

test('non-transactional batches are seen at once, in offset order with committed ones', () => {
  const plain: Batch = { ...data(1n, 9n, ['p']), attributes: 0 }
  const batches = [
    data(0n, 7n, ['c']),
    plain,
    data(2n, 8n, ['a']),
    marker(3n, 7n, true),
    marker(4n, 8n, false),
  ]
  assert.deepEqual(values(batches), ['c', 'p'])
})
