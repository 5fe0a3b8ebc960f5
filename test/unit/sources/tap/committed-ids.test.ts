// The ids --exactly-once keeps against Tap's redeliveries (committed-ids.ts), with a fake clock
// and frames counted as they are read: what is skipped and what is produced, when an id may
// leave (its ack settled on an open connection, or an uncertain one after the redelivery
// window, and then `depth` more frames), the bounds in count and bytes (new ids refused, none
// evicted), and a restart through the stored cursor record (codec round trip, ids read back
// uncertain).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type CommittedIdsLimits,
  createCommittedIds,
  decodeTapIds,
  encodeTapIds,
  type TapPosition,
} from '../../../../src/sources/tap/committed-ids.ts'
import { tapCursorCodec } from '../../../../src/sources/tap/tap-cursor.ts'

const limits: CommittedIdsLimits = {
  maxIds: 1000,
  maxBytes: 100_000,
  settleMs: 20_000,
  redeliveryWindowMs: 180_000,
  depth: 10,
}

function world(overrides: Partial<CommittedIdsLimits> = {}) {
  let t = 1_000_000
  const ids = createCommittedIds({ ...limits, ...overrides }, () => t)
  return {
    ids,
    advance(ms: number) {
      t += ms
    },
    /** `n` frames of other, new ids (a stream going on) */
    frames(n: number, from = 1_000_000) {
      for (let i = 0; i < n; i++) {
        const id = from + i
        assert.equal(ids.receive(id, 1), 'new')
        ids.staged([id])
        for (const a of ids.committed(ids.position()!)) ids.ackSent(a)
      }
    },
    /** read, staged and committed in one transaction; returns the ids to ack */
    commit(list: number[], fp = (id: number) => id * 7) {
      for (const id of list) assert.equal(ids.receive(id, fp(id)), 'new')
      ids.staged(list)
      const position = ids.position()
      assert.ok(position)
      return ids.committed(position)
    },
  }
}

const idsOf = (p: TapPosition | undefined) => p?.ids.map((x) => x.id) ?? []

describe('committed tap ids', () => {
  test('a redelivery is skipped: in flight until committed, then committed (and only then acked)', () => {
    const w = world()
    w.ids.opened()
    assert.equal(w.ids.receive(5, 111), 'new')
    assert.equal(w.ids.receive(5, 111), 'in_flight', 'still in the pipeline')
    assert.equal(w.ids.position(), undefined, 'a read id is not in the cursor before the pipeline acks it')
    w.ids.staged([5])
    const p = w.ids.position()
    assert.deepEqual(p?.ids, [{ id: 5, fp: 111 }])
    assert.equal(w.ids.position(), p, 'the same object while nothing changed')
    assert.equal(w.ids.receive(5, 111), 'in_flight', 'in the open transaction')
    assert.deepEqual(w.ids.committed(p!), [5], 'acked once the transaction committed')
    assert.deepEqual(w.ids.committed(p!), [], 'and only once')
    assert.equal(w.ids.receive(5, 111), 'committed')
  })

  test('only ids staged before the position was taken are acked by its commit', () => {
    const w = world()
    w.ids.opened()
    w.ids.receive(1, 1)
    w.ids.receive(2, 2)
    w.ids.staged([1])
    const p = w.ids.position()!
    w.ids.staged([2])
    assert.deepEqual(w.ids.committed(p), [1])
    assert.deepEqual(idsOf(w.ids.position()), [1, 2])
    assert.deepEqual(w.ids.committed(w.ids.position()!), [2])
  })

  test('an acked id leaves once its connection stayed open settleMs after the ack and `depth` more frames were read', () => {
    const w = world()
    w.ids.opened()
    for (const id of w.commit([1, 2, 3])) w.ids.ackSent(id)
    w.advance(19_999)
    w.frames(50)
    assert.equal(w.ids.prune(), 0, 'frames alone do not do it: Tap may not have read the ack yet')
    assert.equal(w.ids.receive(2, 14), 'committed', 'Tap sending it again now is skipped')
    w.ids.ackSent(2)
    w.advance(1)
    assert.equal(w.ids.prune(), 0, 'settled by time: now the frames queued behind copies are counted')
    w.frames(9, 2_000_000)
    assert.equal(w.ids.prune(), 0, 'a copy of 1 or 3 queued before Tap read the ack may still come')
    assert.equal(w.ids.receive(3, 21), 'committed', 'and does: skipped, and acked again')
    w.ids.ackSent(3)
    assert.equal(w.ids.prune(), 1, '10 frames after settling: 1 leaves; 3 waits again')
    assert.deepEqual(
      idsOf(w.ids.position()).filter((id) => id < 1_000_000),
      [2, 3],
    )
    w.advance(20_000)
    w.ids.prune()
    w.frames(10, 3_000_000)
    w.ids.prune()
    assert.deepEqual(
      idsOf(w.ids.position()).filter((id) => id < 1_000_000),
      [],
    )
    assert.equal(w.ids.receive(2, 14), 'new', 'an id that left is produced if it ever came again')
  })

  test('a committed id whose ack is not written yet never leaves', () => {
    const w = world()
    w.ids.opened()
    w.commit([1])
    w.advance(10 * 180_000)
    w.frames(100)
    w.ids.prune()
    w.advance(10 * 180_000)
    w.frames(100, 2_000_000)
    w.ids.prune()
    assert.equal(w.ids.receive(1, 7), 'committed')
  })

  test('acks written on a connection that closed before settling: kept until a connection was open for the redelivery window, then `depth` frames', () => {
    const w = world()
    w.ids.opened()
    for (const id of w.commit([1, 2])) w.ids.ackSent(id)
    w.advance(5_000)
    w.ids.closed()
    w.advance(600_000)
    assert.equal(w.ids.prune(), 0, 'nothing leaves while disconnected')
    w.ids.opened()
    w.advance(179_999)
    w.frames(20)
    assert.equal(w.ids.prune(), 0)
    assert.equal(w.ids.receive(1, 7), 'committed', 'Tap resent 1 (our ack was lost)')
    w.ids.ackSent(1)
    w.advance(1)
    assert.equal(w.ids.prune(), 0, 'the window passed: 2 waits for depth frames')
    w.frames(10, 2_000_000)
    assert.equal(w.ids.prune(), 1, '2 left; 1 waits for its new ack to settle')
    assert.deepEqual(
      idsOf(w.ids.position()).filter((id) => id < 1_000_000),
      [1],
    )
    w.advance(20_000)
    w.ids.prune()
    w.frames(10, 3_000_000)
    w.ids.prune()
    assert.equal(w.ids.receive(1, 7), 'new')
  })

  test('Tap reusing a committed id for another event (a restart with an emptied outbox): produced, not skipped', () => {
    const w = world()
    w.ids.opened()
    w.commit([1, 2])
    assert.equal(w.ids.receive(1, 999), 'reused')
    assert.deepEqual(idsOf(w.ids.position()), [2], 'the old event under id 1 leaves the record')
    w.ids.staged([1])
    assert.deepEqual(w.ids.position()?.ids, [
      { id: 1, fp: 999 },
      { id: 2, fp: 14 },
    ])
    assert.equal(w.ids.receive(1, 999), 'in_flight')
  })

  test('another event under an id still in flight breaks the contract: throws', () => {
    const w = world()
    w.ids.receive(1, 1)
    assert.throws(() => w.ids.receive(1, 2), /another event under id 1/)
  })

  test('bounded in count: at the bound a new id is refused (not kept), nothing is evicted, copies still skipped', () => {
    const w = world({ maxIds: 10 })
    w.ids.opened()
    for (const id of w.commit([1, 2, 3, 4, 5, 6, 7, 8])) w.ids.ackSent(id)
    assert.equal(w.ids.receive(9, 1), 'new')
    assert.equal(w.ids.receive(10, 1), 'new')
    assert.equal(w.ids.receive(11, 1), 'refused')
    assert.equal(w.ids.size, 10, 'nothing was evicted to make room')
    assert.equal(w.ids.receive(3, 21), 'committed', 'a copy of a kept id is still skipped at the bound')
    assert.equal(w.ids.receive(11, 1), 'refused', 'and a refused one is not kept: refused again')
    w.advance(20_000)
    w.ids.prune()
    // refused frames are read: they count, so the set drains although nothing new is kept
    for (let i = 0; i < 10; i++) assert.equal(w.ids.receive(100 + i, 1), 'refused')
    assert.equal(w.ids.prune(), 8, '1-8 left (the copy of 3 was skipped, not acked again)')
    assert.equal(w.ids.receive(11, 1), 'new', 'room again')
  })

  test('bounded in bytes: the bound counts what the ids take in the cursor record', () => {
    const w = world({ maxBytes: 64 })
    w.ids.opened()
    const ids = [1, 2, 3, 200, 300_000]
    for (const id of w.commit(ids)) w.ids.ackSent(id)
    const stored = tapCursorCodec.toFields(w.ids.position()!) as { tap: { ids: string } }
    assert.ok(stored.tap.ids.length <= w.ids.bytes, `${stored.tap.ids.length} <= ${w.ids.bytes}`)
    assert.equal(w.ids.bytes, 40)
    assert.equal(w.ids.receive(2 ** 40, 1), 'new', '28 + 10 raw bytes: 52 of base64')
    assert.equal(w.ids.receive(2 ** 50, 1), 'refused', '38 + 12 raw bytes would be 68 of base64')
  })

  test('restart: the committed ids go through the cursor record and are skipped when Tap resends them', () => {
    const first = world()
    first.ids.opened()
    const big = 2 ** 40
    const acked = first.commit([3, 4, 90, big], (id) => (id * 2654435761) >>> 0)
    first.ids.ackSent(acked[0]!)
    first.ids.receive(91, 5)
    first.ids.staged([91]) // in the open transaction when the process died: not committed
    const committed = first.ids.position()!
    // what the last commit wrote, as the cursor topic holds it, read back
    const record = JSON.parse(
      JSON.stringify(tapCursorCodec.toFields({ ids: committed.ids.filter((x) => x.id !== 91) })),
    ) as Record<string, unknown>
    const back = tapCursorCodec.fromFields(record, 'test')
    assert.deepEqual(
      back.ids.map((x) => x.id),
      [3, 4, 90, big],
    )
    assert.equal(tapCursorCodec.toNumber(back), big)

    const second = world()
    second.ids.restore(back)
    second.ids.opened()
    assert.equal(second.ids.position(), undefined, 'nothing to commit until something changes')
    assert.equal(second.ids.receive(4, (4 * 2654435761) >>> 0), 'committed')
    assert.equal(second.ids.receive(91, 5), 'new', 'the uncommitted one is produced again')
    assert.equal(second.ids.receive(3, 12345), 'reused', 'another event under a kept id is produced')
    second.advance(170_000)
    second.ids.ackSent(4)
    second.advance(10_000)
    assert.equal(second.ids.prune(), 0, 'the window passed: now the frames are counted')
    second.frames(10)
    assert.equal(second.ids.prune(), 2, 'the ones not sent again (90, 2^40) left')
    second.advance(10_000)
    second.ids.prune()
    second.frames(10, 2_000_000)
    second.ids.prune()
    assert.deepEqual(
      idsOf(second.ids.position()).filter((id) => id < 1_000_000),
      [],
      'left: 91 and 3, read but not staged',
    )
    assert.equal(second.ids.receive(4, (4 * 2654435761) >>> 0), 'new', 'the one sent again and acked settled')
  })

  test('the stored ids: round trip, and malformed text refused', () => {
    const ids = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 53 - 1].map((id, i) => ({
      id,
      fp: (i * 0x9e3779b9) >>> 0,
    }))
    assert.deepEqual(decodeTapIds(encodeTapIds(ids), ids.length), ids)
    assert.deepEqual(decodeTapIds('', 0), [])
    const text = encodeTapIds(ids)
    assert.throws(() => decodeTapIds(text, ids.length + 1), /hold 8 ids/)
    assert.throws(() => decodeTapIds(text.slice(0, 8), 2), /cut short|malformed/)
    assert.throws(() => decodeTapIds('not base64!', 1), /base64/)
    const twice = encodeTapIds([
      { id: 5, fp: 1 },
      { id: 5, fp: 2 },
    ])
    assert.throws(() => decodeTapIds(twice, 2), /ascending/)
    assert.throws(() => tapCursorCodec.fromFields({ seq: 5 }, 'x'), /no Tap ids/)
    assert.throws(() => tapCursorCodec.fromFields({ tap: { v: 2, count: 0, ids: '' } }, 'x'), /version/)
  })
})
