import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { createSnowflake } from '../../../src/encode/snowflake.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { parseEventValue } from '../../../src/tail/read-event.ts'

const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const time = '2026-07-04T14:38:08.999Z'
const events: AtprotoEvent[] = [
  {
    kind: 'operation',
    did,
    seq: 10,
    rev: '3mptbypluud2a',
    time,
    action: 'create',
    collection: 'app.bsky.feed.post',
    rkey: '3mptbyplj5d2a',
    cid: 'bafyreib',
    record: { $type: 'app.bsky.feed.post', text: 'hello', createdAt: time },
  },
  {
    kind: 'operation',
    did,
    seq: 11,
    rev: 'r',
    time,
    action: 'delete',
    collection: 'app.bsky.feed.like',
    rkey: 'k',
  },
  { kind: 'account', did, seq: 12, time, active: false, status: 'deactivated' },
  { kind: 'identity', did, seq: 13, time, handle: 'alice.bsky.social' },
  { kind: 'sync', did, seq: 14, rev: 'r2', time },
  { kind: 'info', name: 'OutdatedCursor', message: 'too old', time },
]

describe('parseEventValue', () => {
  for (const format of ['standard', 'osprey'] as const) {
    test(`reads every kind in the ${format} envelope`, () => {
      const snowflake = createSnowflake({ workerId: 1 })
      const read = events.map((e) => parseEventValue(encodeEvent(e, { format, snowflake }).value.toString()))
      assert.deepEqual(
        read.map((r) => [r?.envelope, r?.action, r?.did, r?.time, r?.seq]),
        [
          [format, 'create', did, time, 10],
          [format, 'delete', did, time, 11],
          [format, 'account', did, time, 12],
          [format, 'identity', did, time, 13],
          [format, 'sync', did, time, 14],
          [format, 'info', '', time, undefined],
        ],
      )
      assert.equal(read[0]?.collection, 'app.bsky.feed.post')
      assert.equal(read[0]?.rkey, '3mptbyplj5d2a')
      assert.deepEqual(read[0]?.record, { $type: 'app.bsky.feed.post', text: 'hello', createdAt: time })
      assert.equal(read[1]?.record, undefined)
      assert.equal(read[2]?.body.status, 'deactivated')
      assert.equal(read[5]?.body.name, 'OutdatedCursor')
    })
  }

  test('reads commits, identity and account in the jetstream shape', () => {
    const snowflake = createSnowflake({ workerId: 1 })
    const clock = () => Date.parse('2026-07-04T14:38:09.500Z') * 1000
    const read = events
      .slice(0, 4)
      .map((e) => parseEventValue(encodeEvent(e, { format: 'jetstream', snowflake, clock }).value.toString()))
    // commits have no event time in this shape: time_us (when atkafka wrote it) stands in
    assert.deepEqual(
      read.map((r) => [r?.envelope, r?.action, r?.did, r?.time, r?.seq]),
      [
        ['jetstream', 'create', did, '2026-07-04T14:38:09.500Z', undefined],
        ['jetstream', 'delete', did, '2026-07-04T14:38:09.500Z', undefined],
        ['jetstream', 'account', did, time, 12],
        ['jetstream', 'identity', did, time, 13],
      ],
    )
    assert.equal(read[0]?.collection, 'app.bsky.feed.post')
    assert.equal(read[0]?.rkey, '3mptbyplj5d2a')
    assert.deepEqual(read[0]?.record, { $type: 'app.bsky.feed.post', text: 'hello', createdAt: time })
    assert.equal(read[1]?.record, undefined)
    assert.equal(read[2]?.body.status, 'deactivated')
    assert.equal(read[3]?.body.handle, 'alice.bsky.social')
    for (const bad of [
      '{"did":"x","time_us":1,"kind":"commit","commit":{"operation":"merge"}}',
      '{"did":"x","time_us":1,"kind":"sync","sync":{}}',
      '{"did":"x","time_us":1,"kind":"account"}',
      '{"time_us":1,"kind":"account","account":{}}',
    ]) {
      assert.equal(parseEventValue(bad), undefined, bad)
    }
  })

  test('anything else is undefined', () => {
    for (const value of [
      '',
      'not json',
      '42',
      '[]',
      'null',
      '{}',
      '{"did":"x"}',
      '{"data":{"data":{}},"send_time":"t"}',
    ]) {
      assert.equal(parseEventValue(value), undefined, value)
    }
    // a dead-letter record: JSON, but not an event
    assert.equal(
      parseEventValue('{"reason":"too_large","topic":"t","key":"did:plc:x","value":"{…"}'),
      undefined,
    )
  })
})
