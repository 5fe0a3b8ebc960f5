import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMetrics } from '../../../src/app-metrics.ts'
import { relaySource } from '../../../src/sources/relay/relay-plugin.ts'
import { tapSource } from '../../../src/sources/tap/tap-plugin.ts'
import {
  buildStatusReport,
  displayUrl,
  progressFields,
  type StatusInfo,
  sampleOf,
} from '../../../src/status/status-report.ts'

const T0 = Date.parse('2026-07-04T12:00:00.000Z')

const cursorLocation = 'kafka topic atkafka-cursors key relay:bsky.network'
/** the relay's block, as its catalog entry builds it for the app */
const relayBlock =
  (saved: number | undefined): StatusInfo['source'] =>
  (snapshot) =>
    relaySource.status({
      config: {} as never,
      source: undefined,
      snapshot: snapshot as never,
      cursor: { location: cursorLocation, saved, savedPosition: saved, transactional: false },
    })

const relayInfo: StatusInfo = {
  command: 'relay',
  upstreamUrl: 'wss://bsky.network',
  bootstrapServers: ['kafka:9092'],
  topic: 'atproto-events',
  producerReady: true,
  startedAtMs: T0 - 90_500,
  source: relayBlock(1000),
}

describe('status report', () => {
  test('relay: rates from the older sample, totals, lag from the latest event time, cursor, drops, logs newest first', () => {
    const m = createMetrics()
    const older = sampleOf(m.snapshot(), T0 - 5000)
    for (let i = 0; i < 50; i++) m.eventHandled('operation#create', 'app.bsky.feed.post')
    m.eventsProduced('ok', 40)
    m.eventsProduced('dead_letter', 1)
    m.eventDropped('cid_mismatch', 2)
    m.eventDropped('malformed_frame')
    m.eventFiltered('operation')
    m.upstreamState('relay', 'connected')
    m.reconnected('relay')
    m.upstreamError('OutdatedCursor')
    m.upstreamSeq(1010)
    m.cursorSeq(1005)
    m.eventTime('2026-07-04T11:59:57.500Z')
    m.inFlight(10)
    m.inFlightBytes(12_345)
    const r = buildStatusReport({
      info: relayInfo,
      snapshot: m.snapshot(),
      older,
      nowMs: T0,
      logs: {
        counts: { warn: 2, error: 0, fatal: 0 },
        recent: [
          { time: 'a', level: 'warn', component: 'relay', msg: 'first', fields: {} },
          { time: 'b', level: 'warn', component: 'relay', msg: 'second', fields: {} },
        ],
      },
    })
    assert.equal(r.command, 'relay')
    assert.equal(r.uptimeSeconds, 90)
    assert.equal(r.generatedAt, '2026-07-04T12:00:00.000Z')
    assert.deepEqual(r.throughput, { seconds: 5, handledPerSecond: 10, producedPerSecond: 8 })
    assert.deepEqual(r.totals, { handled: 50, produced: 40, dropped: 3, filtered: 1 })
    assert.equal(r.lagSeconds, 2.5)
    assert.equal(r.latestEventTime, '2026-07-04T11:59:57.500Z')
    assert.equal(r.inFlight, 10)
    assert.equal(r.inFlightBytes, 12_345)
    assert.deepEqual(r.upstream, {
      url: 'wss://bsky.network/',
      state: 'connected',
      reconnects: 1,
      errors: { OutdatedCursor: 1 },
    })
    assert.deepEqual(r.broker.produced, { ok: 40, error: 0, dead_letter: 1 })
    assert.equal(r.broker.producerReady, true)
    assert.deepEqual(r.relay, {
      upstreamSeq: 1010,
      safeCursor: 1005,
      savedCursor: 1000,
      cursorLocation: 'kafka topic atkafka-cursors key relay:bsky.network',
      seam: null, // no --backfill-seam
    })
    assert.equal(r.tap, undefined)
    assert.equal(r.dropped.cid_mismatch, 2)
    assert.equal(r.dropped.invalid_car, 0, 'every reason is listed, at zero too')
    assert.deepEqual(r.filtered, { operation: 1 })
    assert.deepEqual(
      r.logs.recent.map((e) => e.msg),
      ['second', 'first'],
    )
    assert.equal(r.logs.counts.warn, 2)
  })

  test('before any event: no rate, no lag, no seq, nothing saved', () => {
    const m = createMetrics()
    const r = buildStatusReport({
      info: { ...relayInfo, source: relayBlock(undefined), producerReady: false },
      snapshot: m.snapshot(),
      older: undefined,
      nowMs: T0,
    })
    assert.deepEqual(r.throughput, { seconds: 0, handledPerSecond: 0, producedPerSecond: 0 })
    assert.equal(r.lagSeconds, null)
    assert.equal(r.latestEventTime, null)
    assert.deepEqual(r.relay, {
      upstreamSeq: null,
      safeCursor: null,
      savedCursor: null,
      cursorLocation,
      seam: null,
    })
    assert.equal(r.upstream.state, 'connecting')
    assert.deepEqual(r.logs, { counts: { warn: 0, error: 0, fatal: 0 }, recent: [] })
    // an event time in the future (clock skew) is no negative lag
    m.eventTime('2026-07-04T12:00:09.000Z')
    assert.equal(
      buildStatusReport({ info: relayInfo, snapshot: m.snapshot(), older: undefined, nowMs: T0 }).lagSeconds,
      0,
    )
  })

  test('Tap: acks and buffers instead of seqs and cursor', () => {
    const m = createMetrics()
    m.ackSent('ok')
    m.ackSent('ok')
    m.ackSent('error')
    m.tapEventBuffer(7)
    m.tapAckBuffer(1)
    const r = buildStatusReport({
      info: {
        command: 'tap',
        upstreamUrl: 'ws://tap:2480',
        bootstrapServers: ['kafka:9092'],
        topic: 't',
        producerReady: true,
        startedAtMs: T0,
        source: (snapshot) =>
          tapSource.status({
            config: { disableAcks: false } as never,
            source: undefined,
            snapshot: snapshot as never,
            cursor: { location: 'none', saved: undefined, savedPosition: undefined, transactional: false },
          }),
      },
      snapshot: m.snapshot(),
      older: undefined,
      nowMs: T0,
    })
    assert.equal(r.relay, undefined)
    assert.deepEqual(r.tap, {
      acksSent: 2,
      ackErrors: 1,
      unacked: 7,
      acksWaiting: 1,
      acksDisabled: false,
      exactlyOnce: false,
      committedIds: 0,
      committedIdsBytes: 0,
      redeliveriesSkipped: { in_flight: 0, committed: 0 },
      refusedAtBound: 0,
    })
    const p = progressFields(r)
    assert.equal(p.acksSent, 2)
    assert.equal(p.unacked, 7)
    assert.equal('cursor' in p, false)
  })

  test('the progress line: rate since the previous line, totals, lag, seq and cursor', () => {
    const m = createMetrics()
    const previous = sampleOf(m.snapshot(), T0 - 10_000)
    for (let i = 0; i < 300; i++) m.eventHandled('identity', '')
    m.eventsProduced('ok', 300)
    m.upstreamSeq(77)
    m.cursorSeq(70)
    m.upstreamState('relay', 'connected')
    m.eventTime('2026-07-04T11:59:59.000Z')
    const p = progressFields(
      buildStatusReport({ info: relayInfo, snapshot: m.snapshot(), older: previous, nowMs: T0 }),
    )
    assert.deepEqual(p, {
      eventsPerSecond: 30,
      producedPerSecond: 30,
      handled: 300,
      produced: 300,
      dropped: 0,
      filtered: 0,
      lagSeconds: 1,
      inFlight: 0,
      inFlightBytes: 0,
      upstream: 'connected',
      upstreamSeq: 77,
      cursor: 70,
      savedCursor: 1000,
    })
  })

  test('the upstream URL is shown without credentials or query', () => {
    assert.equal(displayUrl('wss://user:secret@relay.example/base?token=abc'), 'wss://relay.example/base')
    assert.equal(displayUrl('not a url'), 'not a url')
  })

  test('a snapshot is a copy: later counts do not change it', () => {
    const m = createMetrics()
    const before = m.snapshot()
    m.eventDropped('invalid_car')
    m.eventFiltered('operation')
    assert.equal(before.dropped.invalid_car, 0)
    assert.deepEqual(before.filtered, {})
    assert.equal(m.snapshot().dropped.invalid_car, 1)
  })

  test('--standby: the role block (state, since, last takeover); a standby says so instead of "connecting"', () => {
    const m = createMetrics()
    const group = 'atkafka-writer:relay:bsky.network'
    const standby = buildStatusReport({
      info: {
        ...relayInfo,
        role: {
          state: 'standby',
          sinceMs: T0 - 2000,
          generation: null,
          lastTakeover: null,
          reason: null,
          group,
        },
      },
      snapshot: m.snapshot(),
      older: undefined,
      nowMs: T0,
    })
    assert.equal(m.snapshot().upstreamState, 'connecting', 'what the metrics hold before any connection')
    assert.equal(standby.upstream.state, 'standby')
    assert.deepEqual(standby.role, {
      state: 'standby',
      since: '2026-07-04T11:59:58.000Z',
      group,
      generation: null,
      lastTakeover: null,
      reason: null,
    })
    assert.equal(progressFields(standby).upstream, 'standby')
    assert.equal(progressFields(standby).role, 'standby')

    m.upstreamState('relay', 'connected')
    const takeover = { atMs: T0 - 1000, generation: 7 }
    const writer = buildStatusReport({
      info: {
        ...relayInfo,
        role: {
          state: 'writer',
          sinceMs: T0 - 1000,
          generation: 7,
          lastTakeover: takeover,
          reason: null,
          group,
        },
      },
      snapshot: m.snapshot(),
      older: undefined,
      nowMs: T0,
    })
    assert.equal(writer.upstream.state, 'connected')
    assert.deepEqual(writer.role?.lastTakeover, { at: '2026-07-04T11:59:59.000Z', generation: 7 })
    assert.equal(progressFields(writer).role, 'writer')

    const without = buildStatusReport({
      info: relayInfo,
      snapshot: m.snapshot(),
      older: undefined,
      nowMs: T0,
    })
    assert.equal(without.role, null, 'no role without --standby')
    assert.equal('role' in progressFields(without), false)
  })
})
