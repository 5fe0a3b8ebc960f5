import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toOspreyEnvelope } from '../../../src/encode/osprey-envelope.ts'
import { createSnowflake, OSPREY_EPOCH_MS, parseSnowflake } from '../../../src/encode/snowflake.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'

const event: AtprotoEvent = { kind: 'info', name: 'X', time: '2026-01-01T00:00:00.000Z' }
const TWO_53 = 2n ** 53n

test('1,000,000 ids are unique and increasing, above 2^53, and decode to their ms and worker', () => {
  const workerId = 513
  const sf = createSnowflake({ workerId })
  const ids = new Set<string>()
  const start = Date.now()
  let last = 0n
  for (let i = 0; i < 1_000_000; i++) {
    const id = sf.next()
    ids.add(id)
    if (i % 997 === 0) {
      // BigInt checks on a sample keep the loop about the generator
      const n = BigInt(id)
      assert.ok(n > last && n > TWO_53, id)
      assert.ok(n < 2n ** 63n)
      last = n
    }
  }
  const end = Date.now()
  assert.equal(ids.size, 1_000_000)
  for (const id of [...ids].filter((_, i) => i % 10_007 === 0)) {
    const parts = parseSnowflake(id)
    assert.equal(parts.workerId, workerId)
    // may run ahead of the clock by the ms borrowed when >4096 ids fell in one ms
    assert.ok(parts.timeMs >= start && parts.timeMs <= end + 1_000_000 / 4096, id)
  }
})

test('ids survive the Osprey envelope digit for digit', () => {
  const sf = createSnowflake({ workerId: 1 })
  for (let i = 0; i < 2000; i++) {
    const id = sf.next()
    const json = toOspreyEnvelope(event, '{}', id)
    // as a BigInt-aware consumer (Python's int()) reads it: the number's source text
    const fromSource = (
      JSON.parse(json, (key, value, context?: { source?: string }) =>
        key === 'action_id' ? context?.source : value,
      ) as { data: { action_id: string } }
    ).data.action_id
    assert.equal(fromSource, id)
    assert.equal(/"action_id":(\d+),/.exec(json)?.[1], id)
  }
})

test('layout: ms since the Osprey epoch << 22 | worker id << 12 | sequence', () => {
  const table = [
    { ms: 0, workerId: 0 },
    { ms: 123_456_789, workerId: 1023 },
    { ms: Date.UTC(2026, 6, 4) - OSPREY_EPOCH_MS, workerId: 42 },
    { ms: 2 ** 41 - 1, workerId: 1023 }, // the last ms before int64 overflows
  ]
  for (const { ms, workerId } of table) {
    const sf = createSnowflake({ workerId, now: () => OSPREY_EPOCH_MS + ms })
    const a = sf.next()
    const b = sf.next()
    assert.equal(BigInt(a), (BigInt(ms) << 22n) | (BigInt(workerId) << 12n))
    assert.deepEqual(parseSnowflake(a), { timeMs: OSPREY_EPOCH_MS + ms, workerId, sequence: 0 })
    assert.deepEqual(parseSnowflake(b), { timeMs: OSPREY_EPOCH_MS + ms, workerId, sequence: 1 })
    assert.equal(a, BigInt(a).toString(), 'no leading zeros')
  }
})

test('a custom epoch', () => {
  const sf = createSnowflake({ workerId: 3, epochMs: 1_000, now: () => 5_000 })
  assert.deepEqual(parseSnowflake(sf.next(), 1_000), { timeMs: 5_000, workerId: 3, sequence: 0 })
})

test('more than 4096 ids in a frozen millisecond borrow the next ms: unique and increasing', () => {
  const frozen = OSPREY_EPOCH_MS + 1_000_000
  const sf = createSnowflake({ workerId: 9, now: () => frozen })
  const ids: bigint[] = []
  for (let i = 0; i < 3 * 4096 + 5; i++) ids.push(BigInt(sf.next()))
  for (let i = 1; i < ids.length; i++) assert.ok((ids[i] as bigint) > (ids[i - 1] as bigint), `id ${i}`)
  const last = parseSnowflake(String(ids.at(-1)))
  assert.deepEqual(last, { timeMs: frozen + 3, workerId: 9, sequence: 4 })
})

test('a clock going back keeps ids increasing; the clock catching up resumes real time', () => {
  let now = OSPREY_EPOCH_MS + 1_000_000
  const sf = createSnowflake({ workerId: 1, now: () => now })
  let last = 0n
  const steps = [0, -500, -1, 0, +3, -10_000, +20_000]
  for (const step of steps) {
    now += step
    for (let i = 0; i < 5000; i++) {
      const id = BigInt(sf.next())
      assert.ok(id > last, `after step ${step}, id ${i}`)
      last = id
    }
  }
  assert.equal(parseSnowflake(String(last)).timeMs >= now, true)
  now += 1_000
  assert.equal(parseSnowflake(sf.next()).timeMs, now)
})

test('a clock before the epoch counts as the epoch', () => {
  const sf = createSnowflake({ workerId: 2, now: () => OSPREY_EPOCH_MS - 5 })
  assert.deepEqual(parseSnowflake(sf.next()), { timeMs: OSPREY_EPOCH_MS, workerId: 2, sequence: 0 })
})

test('a clock past 2^41 ms after the epoch is refused rather than overflowing int64', () => {
  const sf = createSnowflake({ workerId: 0, now: () => OSPREY_EPOCH_MS + 2 ** 41 })
  assert.throws(() => sf.next(), RangeError)
})

test('worker ids outside 0..1023 are refused', () => {
  for (const workerId of [1024, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => createSnowflake({ workerId }), RangeError, String(workerId))
  }
  for (const workerId of [0, 1023]) assert.doesNotThrow(() => createSnowflake({ workerId }))
})

test('generators with different worker ids never collide in the same ms', () => {
  const now = () => OSPREY_EPOCH_MS + 77
  const ids = new Set<string>()
  for (const workerId of [0, 1, 2, 1023]) {
    const sf = createSnowflake({ workerId, now })
    for (let i = 0; i < 4096; i++) ids.add(sf.next())
  }
  assert.equal(ids.size, 4 * 4096)
})
