import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { toOspreyEnvelope } from '../../../src/encode/osprey-envelope.ts'
import { createSnowflake, OSPREY_EPOCH_MS, parseSnowflake } from '../../../src/encode/snowflake.ts'
import { toStandardJson } from '../../../src/encode/standard-event.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { RawJson } from '../../../src/events/raw-json.ts'
import { cases, did, time } from './encode-cases.ts'

const clock = OSPREY_EPOCH_MS + 365 * 86_400_000

describe('encodeEvent', () => {
  for (const c of cases) {
    test(c.name, () => {
      const snowflake = createSnowflake({ workerId: 7, now: () => clock })
      const key = c.event.kind === 'info' ? '<unknown>' : did

      const standard = encodeEvent(c.event, { format: 'standard', snowflake, metadata: c.metadata })
      assert.deepEqual(standard, { key, value: Buffer.from(c.json) })

      const osprey = encodeEvent(c.event, { format: 'osprey', snowflake, metadata: c.metadata })
      assert.equal(osprey.key, key)
      const value = osprey.value.toString()
      const id = /^\{"data":\{"action_name":"[^"]+","action_id":(\d+),/.exec(value)?.[1] ?? ''
      // the standard format drew no id: this is the generator's first
      assert.deepEqual(parseSnowflake(id), { timeMs: clock, workerId: 7, sequence: 0 })
      assert.equal(
        value,
        `{"data":{"action_name":"${c.actionName}","action_id":${id},"data":${c.json},"timestamp":"${time}","secret_data":{},"encoding":"UTF8"},"send_time":"${time}"}`,
      )
    })
  }

  test('an unusable event time falls back to the given now() for send_time only', () => {
    const snowflake = createSnowflake({ workerId: 0 })
    const { value } = encodeEvent(
      { kind: 'info', name: 'OutdatedCursor', time: 'garbage' },
      { format: 'osprey', snowflake, now: () => new Date('2030-01-01T00:00:00.000Z') },
    )
    const env = JSON.parse(value.toString()) as {
      send_time: string
      data: { timestamp: string; data: { timestamp: string } }
    }
    assert.equal(env.send_time, '2030-01-01T00:00:00.000Z')
    assert.equal(env.data.timestamp, 'garbage')
    assert.equal(env.data.data.timestamp, 'garbage')
  })

  test('metadata as RawJson bytes is written where JSON.stringify puts eventMetadata, in both formats', () => {
    // multi-byte characters in the metadata, the record and before the splice point (time)
    const raw = new RawJson([
      Buffer.from('{"handle":"é.test",'),
      '"accountAge":5',
      Buffer.from(',"profile":null}'),
    ])
    const asObject = { handle: 'é.test', accountAge: 5, profile: null }
    const times = [time, '2026-07-04T14:38:08.999Z 😀']
    for (const c of cases) {
      for (const t of times) {
        const event = { ...c.event, time: t } as AtprotoEvent
        const snowflake = createSnowflake({ workerId: 3, now: () => clock })
        const standard = encodeEvent(event, { format: 'standard', snowflake, metadata: raw })
        assert.equal(standard.value.toString(), toStandardJson(event, asObject), `${c.name} ${t}`)
        // the second time is unusable as a send_time: both fall back to the same now()
        const now = () => new Date(clock)
        const osprey = encodeEvent(event, {
          format: 'osprey',
          snowflake,
          metadata: raw,
          now,
        }).value.toString()
        const id = /"action_id":(\d+),/.exec(osprey)?.[1] ?? ''
        assert.equal(
          osprey,
          toOspreyEnvelope(event, toStandardJson(event, asObject), id, now),
          `${c.name} ${t}`,
        )
      }
    }
  })

  test('metadata given as RawJson is spliced exactly where JSON.stringify writes eventMetadata', () => {
    const snowflake = createSnowflake({ workerId: 3, now: () => clock })
    for (const c of cases) {
      const metadata = c.metadata ?? { handle: 'x"y', accountAge: -1, profile: null }
      const { value } = encodeEvent(c.event, {
        format: 'standard',
        snowflake,
        metadata: new RawJson(JSON.stringify(metadata)),
      })
      assert.equal(value.toString(), toStandardJson(c.event, metadata), c.name)
    }
  })

  test('an event too large for the shared scratch buffer gets the same bytes, twice in a row', () => {
    // 3 bytes per character: the JSON needs more than the 64 KiB scratch buffer
    const text = '€'.repeat(30_000)
    const base = cases.find((c) => c.event.kind === 'operation' && c.event.action === 'create')!.event
    const event = { ...base, record: { $type: 'app.bsky.feed.post', text } } as AtprotoEvent
    const raw = new RawJson(['{"accountAge":', '7}'])
    const snowflake = createSnowflake({ workerId: 3, now: () => clock })
    const expected = toStandardJson(event, { accountAge: 7 })
    assert.ok(Buffer.byteLength(expected) > 90_000)
    for (let i = 0; i < 2; i++) {
      const { value } = encodeEvent(event, { format: 'standard', snowflake, metadata: raw })
      assert.equal(value.toString(), expected)
    }
    // a small event right after still uses (and is not disturbed by) the shared buffer
    const small = encodeEvent(base, { format: 'standard', snowflake, metadata: raw })
    assert.equal(small.value.toString(), toStandardJson(base, { accountAge: 7 }))
  })
})
