import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toOspreyEnvelope } from '../../../src/encode/osprey-envelope.ts'
import { createSnowflake, OSPREY_EPOCH_MS } from '../../../src/encode/snowflake.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'

test('1,000,000 ids are unique, above 2^53, and survive JSON encoding digit for digit', () => {
  const sf = createSnowflake({ workerId: 513 })
  const ids = new Set<string>()
  for (let i = 0; i < 1_000_000; i++) ids.add(sf.next())
  assert.equal(ids.size, 1_000_000)
  const event: AtprotoEvent = { kind: 'info', name: 'X', time: '2026-01-01T00:00:00.000Z' }
  let checked = 0
  for (const id of ids) {
    if (checked++ % 1000 !== 0) continue
    assert.ok(BigInt(id) > 2n ** 53n)
    const json = toOspreyEnvelope(event, '{}', id)
    // parse with the source text of the number, as a BigInt-aware consumer (Python's int) would
    const parsed = JSON.parse(json, (key, value, context?: { source?: string }) =>
      key === 'action_id' ? context?.source : value,
    ) as { data: { action_id: string } }
    assert.equal(parsed.data.action_id, id)
  }
})

test('layout: time since the Osprey epoch, worker id, sequence', () => {
  const now = OSPREY_EPOCH_MS + 123_456_789
  const sf = createSnowflake({ workerId: 1023, now: () => now })
  const a = BigInt(sf.next())
  const b = BigInt(sf.next())
  assert.equal(a >> 22n, 123_456_789n)
  assert.equal((a >> 12n) & 0x3ffn, 1023n)
  assert.equal(a & 0xfffn, 0n)
  assert.equal(b & 0xfffn, 1n)
})

test('more than 4096 ids in one frozen millisecond, and a clock going back, stay unique and increasing', () => {
  let now = OSPREY_EPOCH_MS + 1000
  const sf = createSnowflake({ workerId: 1, now: () => now })
  let last = 0n
  for (let i = 0; i < 10_000; i++) {
    if (i === 5000) now -= 500 // clock steps back
    const id = BigInt(sf.next())
    assert.ok(id > last, `id ${i} increases`)
    last = id
  }
})

test('worker ids outside 0..1023 are refused', () => {
  assert.throws(() => createSnowflake({ workerId: 1024 }), RangeError)
  assert.throws(() => createSnowflake({ workerId: -1 }), RangeError)
  assert.throws(() => createSnowflake({ workerId: 1.5 }), RangeError)
})
