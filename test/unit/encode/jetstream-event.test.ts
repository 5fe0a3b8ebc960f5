// `--format jetstream` against production Jetstream: the 150 recorded relay frames
// (test/fixtures/jetstream-corpus), decoded as the relay source decodes them and encoded by
// the jetstream encoder, equal byte for byte after key-order normalisation every line that
// production Jetstream v1 served for the same events, except `time_us` (Jetstream's own clock).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { createMicrosClock, isJetstreamEvent, toJetstreamJson } from '../../../src/encode/jetstream-event.ts'
import { createSnowflake } from '../../../src/encode/snowflake.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { decodeFrame } from '../../../src/sources/relay/decode-frame.ts'
import { type JetstreamEvent, readCorpusFrames, readCorpusManifest } from '../../helpers/corpus.ts'
import { corpusV1Lines, jetstreamMatchKey, normalizeJson } from '../../helpers/jetstream.ts'

const manifest = readCorpusManifest()
const events: AtprotoEvent[] = readCorpusFrames().flatMap((f) => decodeFrame(f, () => 'unused').events)

describe('jetstream format against production Jetstream v1 (150 recorded frames)', () => {
  test('every event equals its Jetstream line byte for byte after key-order normalisation, time_us aside', () => {
    const lines = corpusV1Lines()
    assert.equal(lines.length, manifest.v1_events)
    const byKey = new Map<string, string[]>()
    for (const line of lines) {
      const k = jetstreamMatchKey(JSON.parse(line) as JetstreamEvent)
      byKey.set(k, [...(byKey.get(k) ?? []), line])
    }
    const clock = createMicrosClock(() => 1_783_175_888_000)
    const snowflake = createSnowflake({ workerId: 0 })
    let compared = 0
    const times: number[] = []
    for (const event of events) {
      assert.ok(isJetstreamEvent(event), `corpus events are commits, identity and account: ${event.kind}`)
      const { key, value } = encodeEvent(event, { format: 'jetstream', snowflake, clock })
      assert.equal(key, event.did)
      const got = JSON.parse(value.toString()) as JetstreamEvent & { time_us: number }
      const k = jetstreamMatchKey(got)
      const candidates = byKey.get(k)
      assert.ok(candidates?.length === 1, `exactly one Jetstream line for ${k}`)
      const [want] = candidates
      byKey.delete(k)
      times.push(got.time_us)
      assert.equal(
        normalizeJson(value.toString(), { time_us: 0 }),
        normalizeJson(want!, { time_us: 0 }),
        `event ${k}`,
      )
      compared++
    }
    assert.equal(compared, 152)
    assert.equal(byKey.size, 0, `Jetstream lines without an event: ${[...byKey.keys()].join(', ')}`)
    // the clock: integer microseconds, strictly increasing in encode order
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!)
    assert.equal(times[0], 1_783_175_888_000_000)
    assert.ok(times.every((t) => Number.isSafeInteger(t)))
  })

  test('without normalisation, the envelope and the commit/identity/account objects keep Jetstream’s key order', () => {
    const lines = corpusV1Lines()
    const strip = (json: string) => json.replace(/"time_us":\d+/, '"time_us":0')
    // records aside (Jetstream sorts their keys; atkafka writes them in DAG-CBOR order)
    const shape = (json: string) => {
      const o = JSON.parse(strip(json)) as Record<string, Record<string, unknown>>
      return JSON.stringify(o, (k, v) => (k === 'record' ? '<record>' : v))
    }
    const want = new Map(lines.map((l) => [jetstreamMatchKey(JSON.parse(l) as JetstreamEvent), shape(l)]))
    for (const event of events) {
      if (!isJetstreamEvent(event)) continue
      const json = toJetstreamJson(event, 1)
      assert.equal(shape(json), want.get(jetstreamMatchKey(JSON.parse(json) as JetstreamEvent)))
    }
    // identity and account have no record: they are equal byte for byte as they are
    const identity = events.find((e) => e.kind === 'identity')
    const account = events.find((e) => e.kind === 'account')
    assert.ok(identity && account && isJetstreamEvent(identity) && isJetstreamEvent(account))
    for (const e of [identity, account]) {
      const line = lines.find((l) => l.includes(`"kind":"${e.kind}"`))!
      const timeUs = (JSON.parse(line) as { time_us: number }).time_us
      assert.equal(toJetstreamJson(e, timeUs), line)
    }
  })

  test('sync and info events have no Jetstream v1 shape', () => {
    assert.equal(isJetstreamEvent({ kind: 'sync', did: 'did:plc:a', seq: 1, rev: 'r', time: 't' }), false)
    assert.equal(isJetstreamEvent({ kind: 'info', name: 'OutdatedCursor', time: 't' }), false)
  })

  test('Tap events: no seq on identity, no live, no isActive/status', () => {
    const time = '2026-07-04T14:38:08.999Z'
    assert.equal(
      toJetstreamJson(
        { kind: 'identity', did: 'did:plc:a', time, handle: 'a.test', isActive: true, status: 'active' },
        5,
      ),
      `{"did":"did:plc:a","time_us":5,"kind":"identity","identity":{"did":"did:plc:a","handle":"a.test","time":"${time}"}}`,
    )
    assert.equal(
      toJetstreamJson(
        {
          kind: 'operation',
          did: 'did:plc:a',
          rev: '3l',
          time,
          action: 'create',
          collection: 'app.bsky.feed.like',
          rkey: 'k',
          cid: 'bafy',
          record: { $type: 'app.bsky.feed.like' },
          live: false,
        },
        6,
      ),
      '{"did":"did:plc:a","time_us":6,"kind":"commit","commit":{"rev":"3l","operation":"create","collection":"app.bsky.feed.like","rkey":"k","record":{"$type":"app.bsky.feed.like"},"cid":"bafy"}}',
    )
  })

  test('the clock never repeats or goes back, even when the wall clock does', () => {
    const wall = [1000, 1000, 1000, 999, 1001, 1001]
    let i = 0
    const clock = createMicrosClock(() => wall[i++]!)
    assert.deepEqual(
      wall.map(() => clock()),
      [1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_001_000, 1_001_001],
    )
  })
})
