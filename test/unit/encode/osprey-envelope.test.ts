import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sendTime, toOspreyEnvelope } from '../../../src/encode/osprey-envelope.ts'
import { toStandardJson } from '../../../src/encode/standard-event.ts'
import { ospreyActionName } from '../../../src/events/action-name.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { cases, time } from './encode-cases.ts'

const id = '1949191828475904001' // > 2^53: a JS number would round it

/** JSON.parse that keeps action_id as its source digits (Node 24's reviver context) */
const parseKeepingId = (json: string) =>
  JSON.parse(json, (key, value, context?: { source?: string }) =>
    key === 'action_id' ? context?.source : value,
  ) as { data: Record<string, unknown> & { action_id: string }; send_time: string }

describe('Osprey envelope', () => {
  for (const c of cases) {
    test(c.name, () => {
      const json = toOspreyEnvelope(c.event, toStandardJson(c.event, c.metadata), id)
      assert.equal(
        json,
        `{"data":{"action_name":"${c.actionName}","action_id":${id},"data":${c.json},"timestamp":"${time}","secret_data":{},"encoding":"UTF8"},"send_time":"${time}"}`,
      )
      const parsed = parseKeepingId(json)
      assert.deepEqual(Object.keys(parsed), ['data', 'send_time'])
      assert.deepEqual(Object.keys(parsed.data), [
        'action_name',
        'action_id',
        'data',
        'timestamp',
        'secret_data',
        'encoding',
      ])
      assert.equal(parsed.data.action_id, id)
      assert.deepEqual(parsed.data.data, JSON.parse(c.json))
      assert.equal(ospreyActionName(c.event), c.actionName)
    })
  }

  test('action_id is a bare JSON integer, never a quoted or rounded number', () => {
    const event = cases[0]?.event as AtprotoEvent
    const json = toOspreyEnvelope(event, '{}', id)
    assert.match(json, /"action_id":1949191828475904001,/)
    assert.notEqual(String((JSON.parse(json) as { data: { action_id: number } }).data.action_id), id)
  })

  test('ids that are not int64 decimal integers are refused', () => {
    const event = cases[0]?.event as AtprotoEvent
    for (const bad of ['', '-1', '01', '1.5', '1e18', ' 1', '9223372036854775808', '10000000000000000000']) {
      assert.throws(() => toOspreyEnvelope(event, '{}', bad), RangeError, JSON.stringify(bad))
    }
    for (const good of ['0', '7', '9223372036854775807', '999999999999999999']) {
      assert.doesNotThrow(() => toOspreyEnvelope(event, '{}', good), good)
    }
  })

  test('send_time is normalized, data.timestamp keeps the event time as given', () => {
    const event: AtprotoEvent = {
      kind: 'sync',
      did: 'did:plc:a',
      seq: 1,
      rev: 'r',
      time: '2026-07-04T16:38:08+02:00',
    }
    const parsed = parseKeepingId(toOspreyEnvelope(event, toStandardJson(event), id))
    assert.equal(parsed.send_time, '2026-07-04T14:38:08.000Z')
    assert.equal(parsed.data.timestamp, '2026-07-04T16:38:08+02:00')
  })
})

describe('send_time', () => {
  const now = () => new Date('2030-01-02T03:04:05.678Z')
  const fallback = '2030-01-02T03:04:05.678Z'
  const table: [string, string][] = [
    // valid UTC: passed through with its own precision
    ['2026-07-04T14:38:08.999Z', '2026-07-04T14:38:08.999Z'],
    ['2026-07-04T14:38:08Z', '2026-07-04T14:38:08Z'],
    ['2026-07-04T14:38:08.123456789Z', '2026-07-04T14:38:08.123456789Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00Z'],
    ['2000-02-29T23:59:59.999Z', '2000-02-29T23:59:59.999Z'],
    ['2026-01-31T00:00:00Z', '2026-01-31T00:00:00Z'],
    ['2026-04-30T00:00:00Z', '2026-04-30T00:00:00Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    // offsets and lowercase: normalized to Z with milliseconds
    ['2026-07-04T16:38:08.999+02:00', '2026-07-04T14:38:08.999Z'],
    ['2026-07-04T00:00:00.5-00:30', '2026-07-04T00:30:00.500Z'],
    ['2026-07-04T14:38:08.123456+00:00', '2026-07-04T14:38:08.123Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2026-07-04t14:38:08.1z', '2026-07-04T14:38:08.100Z'],
    // unusable (Python's datetime would refuse them too): now()
    ['2026-02-29T00:00:00Z', fallback],
    ['2026-02-30T00:00:00Z', fallback],
    ['1900-02-29T00:00:00Z', fallback],
    ['2026-04-31T00:00:00Z', fallback],
    ['2026-01-32T00:00:00Z', fallback],
    ['2026-01-00T00:00:00Z', fallback],
    ['2026-13-01T00:00:00Z', fallback],
    ['2026-07-04T24:00:00Z', fallback],
    ['2016-12-31T23:59:60Z', fallback],
    ['0000-01-01T00:00:00Z', fallback],
    ['0001-01-01T00:30:00+01:00', fallback],
    ['9999-12-31T23:30:00-01:00', fallback],
    ['2026-07-04T14:38:08.999+24:00', fallback],
    ['2026-07-04T14:38:08', fallback],
    ['2026-07-04 14:38:08Z', fallback],
    ['2026-07-04', fallback],
    ['1751640000', fallback],
    ['', fallback],
    ['not a time', fallback],
  ]
  for (const [input, want] of table) {
    test(JSON.stringify(input), () => {
      const got = sendTime(input, now)
      assert.equal(got, want)
      assert.ok(Number.isFinite(Date.parse(got)))
    })
  }

  test('defaults to the wall clock', () => {
    const before = Date.now()
    const got = Date.parse(sendTime('garbage'))
    assert.ok(got >= before && got <= Date.now())
  })
})
