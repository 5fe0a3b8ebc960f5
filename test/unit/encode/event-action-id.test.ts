// Event-derived Osprey action ids (--osprey-action-id event): the same event gets the same id
// however often it is encoded (a redelivery after a crash), distinct events within the stated
// window never share one, and the bound is exactly where docs/osprey.md says it is.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import {
  createEventActionIds,
  eventActionId,
  identityBits,
  OP_SLOTS,
  SEQ_WINDOW,
  TAP_WINDOW,
} from '../../../src/encode/event-action-id.ts'
import { OSPREY_EPOCH_MS, parseSnowflake } from '../../../src/encode/snowflake.ts'
import type { AtprotoEvent, OperationEvent } from '../../../src/events/atproto-event.ts'

const time = '2026-07-04T14:38:08.999Z'
const relayOp = (seq: number, opIndex: number, at = time): OperationEvent => ({
  kind: 'operation',
  did: 'did:plc:alice',
  seq,
  opIndex,
  rev: '3lrev',
  time: at,
  action: 'create',
  collection: 'app.bsky.feed.post',
  rkey: `k${seq}-${opIndex}`,
  cid: 'bafyrec',
  record: { text: 'hi' },
})
const tapOp = (tapId: number, at = time): OperationEvent => ({
  kind: 'operation',
  did: 'did:plc:alice',
  tapId,
  rev: '3lrev',
  time: at,
  action: 'delete',
  collection: 'app.bsky.feed.like',
  rkey: 'k',
  live: true,
})
const INT64_MAX = 2n ** 63n - 1n

describe('event-derived action ids', () => {
  test('a redelivered event (a new object, encoded again later) carries the same id and bytes', () => {
    const later = () => Date.now() + 3_600_000
    const once = encodeEvent(relayOp(31527015322, 2), { format: 'osprey', snowflake: createEventActionIds() })
    const again = encodeEvent(relayOp(31527015322, 2), {
      format: 'osprey',
      snowflake: createEventActionIds(later),
    })
    assert.deepEqual(again.value, once.value)
    const tap = { kind: 'identity', did: 'did:plc:bob', tapId: 77, time, handle: 'bob.test' } as const
    assert.equal(eventActionId({ ...tap }), eventActionId({ ...tap }))
    const info = { kind: 'info', name: 'OutdatedCursor', message: 'm', time } as const
    assert.equal(eventActionId({ ...info }), eventActionId({ ...info }))
  })

  test("layout: the event's own time from bit 22 up, seq and op index (or Tap id) below", () => {
    const id = parseSnowflake(eventActionId(relayOp(31527015322, 5)))
    assert.equal(id.timeMs, Date.parse(time))
    const low = Number(BigInt(eventActionId(relayOp(31527015322, 5))) & 0x3fffffn)
    assert.equal(low, (31527015322 % SEQ_WINDOW) * OP_SLOTS + 5)
    assert.equal(identityBits(tapOp(123_456)), 123_456)
    // account, identity and sync events of the relay: their seq, op index 0
    assert.equal(
      identityBits({ kind: 'account', did: 'did:plc:a', seq: 16_385, time, active: true }),
      1 * OP_SLOTS,
    )
  })

  test('every relay op within 16,384 seqs (ops 0-255 of each commit) in one millisecond gets its own id', () => {
    // exhaustive over one window: 16,384 seqs × 256 op indexes = all 2^22 low-bit values once
    const seen = new Uint8Array(2 ** 22 / 8)
    const base = 31527015322
    for (let seq = base; seq < base + SEQ_WINDOW; seq++) {
      for (let op = 0; op < OP_SLOTS; op++) {
        const low = identityBits({ kind: 'operation', seq, opIndex: op } as OperationEvent)
        assert.equal(seen[low >> 3]! & (1 << (low & 7)), 0, `seq ${seq} op ${op} repeats an id`)
        seen[low >> 3]! |= 1 << (low & 7)
      }
    }
  })

  test('distinct events inside the bound never share an id (property, any times)', () => {
    const ms = fc.integer({
      min: Date.parse('2015-01-01T00:00:00Z'),
      max: Date.parse('2080-01-01T00:00:00Z'),
    })
    const iso = ms.map((m) => new Date(m).toISOString())
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: SEQ_WINDOW - 1 }),
        fc.integer({ min: 0, max: 199 }),
        fc.integer({ min: 0, max: 199 }),
        iso,
        iso,
        (seq, gap, op1, op2, t1, t2) => {
          const a = relayOp(seq, op1, t1)
          const b = relayOp(seq + gap, op2, t2)
          if (gap === 0 && op1 === op2) return eventActionId(a) === eventActionId(relayOp(seq, op1, t1))
          return eventActionId(a) !== eventActionId(b)
        },
      ),
      { numRuns: 20_000 },
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: TAP_WINDOW - 1 }),
        iso,
        iso,
        (id, gap, t1, t2) => eventActionId(tapOp(id, t1)) !== eventActionId(tapOp(id + gap, t2)),
      ),
      { numRuns: 20_000 },
    )
  })

  test('the bound is exact: 16,384 seqs (or 2^22 Tap ids) apart in the same millisecond collide', () => {
    assert.equal(eventActionId(relayOp(1000, 3)), eventActionId(relayOp(1000 + SEQ_WINDOW, 3)))
    assert.notEqual(
      eventActionId(relayOp(1000, 3)),
      eventActionId(relayOp(1000 + SEQ_WINDOW, 3, '2026-07-04T14:38:09.000Z')),
      'unless their times differ',
    )
    assert.equal(eventActionId(tapOp(5)), eventActionId(tapOp(5 + TAP_WINDOW)))
  })

  test('ids are positive int64s, digit-exact; times outside 2015…2084 are clamped', () => {
    for (const at of ['1970-01-01T00:00:00Z', '2014-12-31T23:59:59.999Z', '2099-01-01T00:00:00Z', time]) {
      const id = BigInt(eventActionId(relayOp(2 ** 50, 255, at)))
      assert.ok(id >= 0n && id <= INT64_MAX, at)
    }
    assert.equal(parseSnowflake(eventActionId(relayOp(1, 0, '2010-01-01T00:00:00Z'))).timeMs, OSPREY_EPOCH_MS)
    const id = eventActionId(relayOp(2 ** 50, 255, '2080-01-01T00:00:00Z'))
    assert.equal(BigInt(id).toString(), id)
    assert.ok(BigInt(id) > 2n ** 53n, 'beyond JS number precision, kept as digits')
  })

  test('an unparseable time takes the clock (as send_time does)', () => {
    const event: AtprotoEvent = { ...relayOp(9, 0), time: 'not a time' }
    assert.equal(parseSnowflake(eventActionId(event, () => Date.parse(time))).timeMs, Date.parse(time))
  })
})
