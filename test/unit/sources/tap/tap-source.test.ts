// The Tap source against the loopback fake Tap (no broker): /channel with Basic auth, one
// delivery per socket read, acks only from delivery.ack(), drops counted and still acked when they
// have an id, acks owed across a reconnect flushed on the next connection, no acks at all with
// --disable-acks, and through the real pipeline code: an event whose send fails is never acked.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { createMetrics, type Metrics } from '../../../../src/app-metrics.ts'
import type { AtprotoEvent, OperationEvent } from '../../../../src/events/atproto-event.ts'
import { createInFlightWindow } from '../../../../src/pipeline/in-flight-window.ts'
import { runPipeline } from '../../../../src/pipeline/run-pipeline.ts'
import type { Delivery, OutboundRecord, Sink } from '../../../../src/pipeline/types.ts'
import {
  basicAuthHeader,
  channelUrl,
  createTapSource,
  type TapSource,
  type TapSourceConfig,
} from '../../../../src/sources/tap/tap-source.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../../../src/sources/websocket/reconnecting-socket.ts'
import { type FakeTap, identityEvent, recordEvent, startFakeTap } from '../../../helpers/fake-tap.ts'

const logger = pino({ level: 'silent' })

function config(tap: FakeTap, extra: Partial<TapSourceConfig> = {}): TapSourceConfig {
  return {
    tapHost: tap.url,
    tapAdminPassword: '',
    disableAcks: false,
    tapRedeliveryWindowMs: 180_000,
    tapRedeliveryDepth: 30_000,
    tapMaxCommittedIds: 100_000,
    tapMaxCommittedIdsBytes: 786_432,
    reconnectMinMs: 20,
    reconnectMaxMs: 100,
    idleTimeoutMs: 0,
    maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
    ...extra,
  }
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}) {
  const m = await metrics.registry.getSingleMetric(name)?.get()
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val))
  return v?.value ?? 0
}

/**
 * pulls deliveries until they cover `n` more Tap events (a delivery holds every event of one
 * socket read, so how many deliveries that takes depends on timing; `unacked` counts events)
 */
function reader(source: TapSource) {
  const controller = new AbortController()
  const it = source.deliveries(controller.signal)[Symbol.asyncIterator]()
  return {
    async take(n: number): Promise<Delivery[]> {
      const out: Delivery[] = []
      const before = source.unacked
      while (source.unacked - before < n) {
        const r = await it.next()
        if (r.done) throw new Error('source ended')
        out.push(r.value)
      }
      return out
    },
    async stop() {
      controller.abort()
      await it.return?.()
    },
  }
}

describe('tap source', () => {
  test('the channel URL: /channel appended to the tap host (path prefixes kept)', () => {
    assert.equal(channelUrl('ws://localhost:2480'), 'ws://localhost:2480/channel')
    assert.equal(channelUrl('wss://tap.example.com/'), 'wss://tap.example.com/channel')
    assert.equal(channelUrl('wss://example.com/tap/'), 'wss://example.com/tap/channel')
    assert.equal(basicAuthHeader('s3cret'), `Basic ${Buffer.from('admin:s3cret').toString('base64')}`)
  })

  test('deliveries carry the events in order; acks are sent only when delivery.ack() is called', async () => {
    await using tap = await startFakeTap({
      events: [recordEvent(1), identityEvent(2), recordEvent(3, { action: 'delete' })],
    })
    const metrics = createMetrics()
    const source = createTapSource(config(tap), { metrics, logger })
    const r = reader(source)
    const ds = await r.take(3)
    assert.equal(source.connected, true)
    const events = ds.flatMap((d) => d.events)
    assert.deepEqual(
      events.map((e: AtprotoEvent) => e.kind),
      ['operation', 'identity', 'operation'],
    )
    assert.equal((events[2] as OperationEvent).action, 'delete')
    assert.equal(source.unacked, 3)
    assert.equal(await metricValue(metrics, 'atkafka_tap_event_buffer_size'), 3)
    await sleep(100)
    assert.deepEqual(tap.acks, [], 'nothing acked before the pipeline says so')
    for (const d of ds) {
      d.ack()
      d.ack() // idempotent
    }
    await tap.waitForAcks([1, 2, 3])
    await sleep(50)
    assert.deepEqual(tap.acks, [1, 2, 3], 'each event acked once, in order')
    assert.equal(source.unacked, 0)
    assert.equal(await metricValue(metrics, 'atkafka_acks_sent', { status: 'ok' }), 3)
    assert.equal(await metricValue(metrics, 'atkafka_tap_event_buffer_size'), 0)
    assert.equal(await metricValue(metrics, 'atkafka_upstream_connected', { source: 'tap' }), 1)

    // a delivery read later is acked on its own
    tap.send([recordEvent(4)])
    const [d4, ...more] = await r.take(1)
    assert.equal(more.length, 0)
    assert.equal(source.unacked, 1)
    d4?.ack()
    await tap.waitForAcks([4])
    assert.deepEqual(tap.acks, [1, 2, 3, 4])
    await r.stop()
  })

  test('Basic auth: the right password connects, a wrong one is refused and retried', async () => {
    await using tap = await startFakeTap({ adminPassword: 'tap-secret', events: [recordEvent(1)] })
    const good = createTapSource(config(tap, { tapAdminPassword: 'tap-secret' }), {
      metrics: createMetrics(),
      logger,
    })
    const r = reader(good)
    const [d] = (await r.take(1)) as [Delivery]
    d.ack()
    await tap.waitForAcks([1])
    assert.equal(tap.connections[0]?.authorization, basicAuthHeader('tap-secret'))
    await r.stop()

    const bad = createTapSource(config(tap, { tapAdminPassword: 'wrong' }), {
      metrics: createMetrics(),
      logger,
    })
    const r2 = reader(bad)
    const pending = r2.take(1).catch(() => [])
    const before = tap.connections.length
    for (let i = 0; i < 500 && tap.connections.length < before + 3; i++) await sleep(20)
    assert.ok(tap.connections.length >= before + 3, 'keeps retrying with backoff')
    assert.ok(tap.connections.slice(before).every((c) => !c.accepted))
    assert.equal(bad.connected, false)
    await r2.stop()
    await pending

    const none = createTapSource(config(tap), { metrics: createMetrics(), logger })
    const beforeNone = tap.connections.length
    const r3 = reader(none)
    const pending3 = r3.take(1).catch(() => [])
    for (let i = 0; i < 500 && tap.connections.length === beforeNone; i++) await sleep(20)
    assert.equal(tap.connections.at(-1)?.authorization, undefined, 'no header without a password')
    await r3.stop()
    await pending3
  })

  test('dropped frames: counted by reason; acked when they have an id, not otherwise', async () => {
    const huge = {
      $type: 'app.bsky.feed.post',
      text: 'x'.repeat(100),
      createdAt: '2026-01-01T00:00:00Z',
      deep: {} as unknown,
    }
    let deep: unknown = 1
    for (let i = 0; i < 200; i++) deep = [deep]
    huge.deep = deep
    await using tap = await startFakeTap({
      events: [
        '{"id":1,"type":"record",', // malformed JSON: no id
        '[1,2,3]', // not an object: no id
        { type: 'record', record: {} }, // no id
        { id: 4, type: 'commit', commit: {} }, // unknown type
        { id: 5, type: 'record', record: { did: 'did:plc:x' } }, // wrong shape
        recordEvent(6, { record: huge }), // too deep
        recordEvent(7, { rkey: '3mptbyplj5d7a' }),
      ],
    })
    const metrics = createMetrics()
    const source = createTapSource(config(tap), { metrics, logger })
    const r = reader(source)
    const ds = await r.take(4)
    const events = ds.flatMap((d) => d.events)
    assert.equal(events.length, 1, 'ids 4, 5, 6 are dropped (and still acked), 7 is delivered')
    assert.equal((events[0] as OperationEvent).rkey, '3mptbyplj5d7a')
    for (const d of ds) d.ack()
    await tap.waitForAcks([4, 5, 6, 7])
    const drops = async (reason: string) => metricValue(metrics, 'atkafka_dropped_events_total', { reason })
    assert.equal(await drops('malformed_frame'), 1)
    assert.equal(await drops('invalid_event'), 3)
    assert.equal(await drops('unknown_kind'), 1)
    assert.equal(await drops('invalid_record'), 1)
    assert.deepEqual([...tap.ackedIds].sort(), [4, 5, 6, 7])
    await r.stop()
  })

  test('acks owed while disconnected are sent right after the reconnect', async () => {
    await using tap = await startFakeTap({ events: [recordEvent(1), recordEvent(2), recordEvent(3)] })
    const metrics = createMetrics()
    const source = createTapSource(config(tap, { reconnectMinMs: 300, reconnectMaxMs: 300 }), {
      metrics,
      logger,
    })
    const r = reader(source)
    const ds = await r.take(3)
    tap.dropConnections()
    for (let i = 0; i < 1000 && source.connected; i++) await sleep(5)
    assert.equal(source.connected, false)
    for (const d of ds) d.ack() // Kafka holds them now; Tap is not reachable
    assert.equal(source.pendingAcks, 3)
    assert.equal(await metricValue(metrics, 'atkafka_tap_ack_event_buffer_size'), 3)
    assert.equal(await metricValue(metrics, 'atkafka_acks_sent', { status: 'error' }), 3)
    tap.send([recordEvent(4)])
    const [d4] = (await r.take(1)) as [Delivery] // arrives on the new connection
    await tap.waitForAcks([1, 2, 3])
    assert.equal(tap.connections.length, 2)
    assert.deepEqual(tap.connections[0]?.sentIds, [1, 2, 3])
    assert.deepEqual(tap.connections[0]?.ackedIds, [])
    assert.deepEqual(tap.connections[1]?.ackedIds, [1, 2, 3])
    assert.equal(source.pendingAcks, 0)
    assert.equal(await metricValue(metrics, 'atkafka_tap_ack_event_buffer_size'), 0)
    assert.equal(await metricValue(metrics, 'atkafka_acks_sent', { status: 'ok' }), 3)
    assert.equal(await metricValue(metrics, 'atkafka_reconnects_total', { source: 'tap' }), 1)
    d4.ack()
    await tap.waitForAcks([4])
    await r.stop()
  })

  test('a graceful stop: the connection stays open until the events in flight are acked', async () => {
    await using tap = await startFakeTap({ events: [recordEvent(1)] })
    const source = createTapSource(config(tap), { metrics: createMetrics(), logger, lingerMs: 5000 })
    const controller = new AbortController()
    const it = source.deliveries(controller.signal)[Symbol.asyncIterator]()
    const first = (await it.next()).value as Delivery
    tap.send([recordEvent(2), recordEvent(3)])
    const rest: Delivery[] = []
    while (source.unacked < 3) rest.push((await it.next()).value as Delivery)
    const waiting = it.next() // pulls while nothing more comes: the stop must end it
    await sleep(50)
    controller.abort()
    assert.deepEqual(await waiting, { done: true, value: undefined })
    await sleep(100)
    assert.equal(tap.open, 1, 'kept open for the acks')
    first.ack()
    await tap.waitForAcks([1])
    await sleep(100)
    assert.equal(tap.open, 1)
    for (const d of rest) d.ack()
    await tap.waitForAcks([2, 3])
    for (let i = 0; i < 500 && tap.open > 0; i++) await sleep(10)
    assert.equal(tap.open, 0, 'closed once everything was acked')
  })

  test('a frame past --max-frame-bytes ends the run, naming the limit: it has no id to ack, tap would resend it forever', async () => {
    const big = {
      $type: 'app.bsky.feed.post',
      text: 'x'.repeat(100_000),
      createdAt: '2026-07-04T14:38:08.999Z',
    }
    await using tap = await startFakeTap({
      events: [recordEvent(1), recordEvent(2, { record: big }), recordEvent(3)],
    })
    const metrics = createMetrics()
    const source = createTapSource(config(tap, { maxFrameBytes: 65_536 }), { metrics, logger })
    const got: number[] = []
    await assert.rejects(
      (async () => {
        for await (const d of source.deliveries(new AbortController().signal)) {
          got.push(d.events.length)
          d.ack()
        }
      })(),
      (err: Error) => {
        assert.equal(err.name, 'SourceProtocolError')
        assert.match(err.message, /larger than --max-frame-bytes=65536 \(after event id 1\)/)
        return true
      },
    )
    assert.deepEqual(got, [1], 'the event before it was delivered')
    assert.equal(tap.connections.length, 1, 'no reconnect')
    assert.equal(await metricValue(metrics, 'atkafka_upstream_errors_total', { name: 'FrameTooLarge' }), 1)
  })

  test("a delivery's bytes: its frames' text, and ~64 per object or array parsed from them", async () => {
    const items = Array.from({ length: 10_000 }, () => ({}))
    await using tap = await startFakeTap({
      events: [recordEvent(1, { record: { $type: 'app.bsky.feed.post', text: 'x', items } })],
    })
    const source = createTapSource(config(tap), { metrics: createMetrics(), logger })
    const r = reader(source)
    const [d] = await r.take(1)
    const text = JSON.stringify(recordEvent(1, { record: { $type: 'app.bsky.feed.post', text: 'x', items } }))
    assert.ok((d?.bytes ?? 0) >= text.length + 10_000 * 64, String(d?.bytes))
    assert.ok((d?.bytes ?? 0) < text.length + 10_010 * 64, String(d?.bytes))
    await r.stop()
  })

  test('--disable-acks: nothing is ever sent back', async () => {
    await using tap = await startFakeTap({
      events: [recordEvent(1), recordEvent(2), '{"id":3,"type":"nope"}'],
    })
    const metrics = createMetrics()
    const source = createTapSource(config(tap, { disableAcks: true }), { metrics, logger })
    const r = reader(source)
    for (const d of await r.take(3)) d.ack()
    await sleep(150)
    assert.deepEqual(tap.acks, [])
    assert.deepEqual(tap.otherClientFrames, [])
    assert.equal(source.unacked, 0)
    assert.equal(await metricValue(metrics, 'atkafka_acks_sent', { status: 'ok' }), 0)
    await r.stop()
  })

  test('through runPipeline: the event whose send fails is never acked; those Kafka took are', async () => {
    const events = Array.from({ length: 20 }, (_, i) =>
      recordEvent(i + 1, { rkey: `3mptbyplj5d${String.fromCharCode(97 + i)}2` }),
    )
    await using tap = await startFakeTap({ events: events.slice(0, 5) })
    // the rest in groups of five, so that they come in several socket reads (deliveries)
    const sending = (async () => {
      for (let i = 5; i < events.length; i += 5) {
        await sleep(40)
        tap.send(events.slice(i, i + 5))
      }
    })()
    const metrics = createMetrics()
    const source = createTapSource(config(tap), { metrics, logger, lingerMs: 300 })
    const resolved = new Set<number>()
    const FAILING = 13
    const sink: Sink = {
      async send(records: readonly OutboundRecord[]) {
        const ids = records.map((rec) => Number(rec.key))
        await sleep(5)
        if (ids.includes(FAILING)) throw new Error('broker said no')
        for (const id of ids) resolved.add(id)
      },
      close: async () => {},
    }
    // the id rides in the key so the fake sink can tell events apart
    let n = 0
    const encode = (_: AtprotoEvent): OutboundRecord => ({
      topic: 't',
      key: String(++n),
      value: Buffer.from('{}'),
    })
    await assert.rejects(
      runPipeline(
        source,
        {
          filter: () => true,
          encode,
          sink,
          window: createInFlightWindow({ events: 1000, bytes: 1 << 30 }),
          metrics,
          logger,
        },
        new AbortController().signal,
      ),
      /broker said no/,
    )
    await sending
    // the acks of what Kafka took after the failure still go out while the socket lingers
    await sleep(150)
    assert.equal(tap.open, 1, 'still open: acks may be due')
    for (let i = 0; i < 500 && tap.open > 0; i++) await sleep(20)
    assert.equal(tap.open, 0, 'closed once no ack came for lingerMs')
    assert.ok(!tap.ackedIds.has(FAILING), 'the failed event is not acked')
    assert.ok(resolved.size > 0)
    for (const id of tap.ackedIds) assert.ok(resolved.has(id), `acked ${id} was held by the sink`)
    for (const id of resolved) assert.ok(tap.ackedIds.has(id), `${id} held by the sink is acked`)
    assert.ok(tap.unackedIds.includes(FAILING), 'Tap keeps it for redelivery')
  })
})

describe('tap source, --exactly-once', () => {
  const eos = (tap: FakeTap) => config(tap, { exactlyOnce: true })
  const until = async (what: () => boolean | Promise<boolean>, label: string) => {
    for (let i = 0; i < 2000 && !(await what()); i++) await sleep(10)
    assert.ok(await what(), label)
  }

  test('acks only after the commit; a copy Tap sends again is skipped, counted and acked; a restart keeps the committed ids', async () => {
    await using tap = await startFakeTap({ events: [recordEvent(1), identityEvent(2), recordEvent(3)] })
    const metrics = createMetrics()
    const source = createTapSource(eos(tap), { metrics, logger })
    const stop = new AbortController()
    const it = source.deliveries(stop.signal)[Symbol.asyncIterator]()
    const ds: Delivery[] = []
    while (source.unacked < 3) {
      const next = await it.next()
      assert.equal(next.done, false)
      ds.push(next.value)
    }
    for (const d of ds) d.ack()
    const position = source.checkpoint?.()
    assert.deepEqual(
      position?.ids.map((x) => x.id),
      [1, 2, 3],
      'in the open transaction: in the position the sink commits',
    )
    // the source reads on (skipped frames yield nothing: this read ends with event 4)
    const fourth = it.next()
    // Tap's retry timer: a copy of each, while their first copies are not committed yet
    tap.redeliver()
    await until(
      async () =>
        (await metricValue(metrics, 'atkafka_tap_redeliveries_skipped_total', { state: 'in_flight' })) === 3,
      'the copies skipped as in flight',
    )
    assert.deepEqual(tap.acks, [], 'nothing acked before the commit')
    assert.equal(source.unacked, 3)
    source.committed?.(position!)
    await tap.waitForAcks([1, 2, 3])
    assert.equal(source.unacked, 0)
    // a copy of a committed event (same bytes): skipped and acked again, not delivered
    tap.send([recordEvent(1)])
    await until(
      async () =>
        (await metricValue(metrics, 'atkafka_tap_redeliveries_skipped_total', { state: 'committed' })) === 1,
      'the copy of 1 skipped as committed',
    )
    await until(() => tap.acks.length === 4, 'acked again')
    assert.deepEqual(tap.acks, [1, 2, 3, 1])
    assert.equal(await metricValue(metrics, 'atkafka_tap_committed_ids'), 3)
    assert.ok((await metricValue(metrics, 'atkafka_tap_committed_ids_bytes')) > 0)
    tap.send([recordEvent(4, { rkey: '3mptbyplj5d2c' })])
    const d4 = await fourth
    assert.deepEqual(
      d4.done ? [] : d4.value.events.map((e) => (e.kind === 'operation' ? e.rkey : '')),
      ['3mptbyplj5d2c'],
      'the next read carries only the new event',
    )
    stop.abort()
    await it.return?.(undefined)

    // a restart with the committed position: a copy is skipped, a new event under a kept id
    // (Tap reused it) and a new id are delivered
    await using tap2 = await startFakeTap({
      events: [identityEvent(2), recordEvent(3, { rkey: '3mptbyplj5d2b' }), recordEvent(4)],
    })
    const metrics2 = createMetrics()
    const again = createTapSource(eos(tap2), { metrics: metrics2, logger })
    const controller = new AbortController()
    const again2 = again.deliveries(controller.signal, position)[Symbol.asyncIterator]()
    const got: number[] = []
    while (got.length < 2) {
      const next = await again2.next()
      assert.equal(next.done, false)
      for (const e of next.value.events)
        got.push(e.kind === 'operation' ? Number(e.rkey === '3mptbyplj5d2b') : -1)
    }
    assert.deepEqual(got.sort(), [0, 1], 'the reused id 3 (another record) and the new id 4')
    await until(() => tap2.acks.includes(2), 'the copy of 2 acked at once')
    assert.equal(
      await metricValue(metrics2, 'atkafka_tap_redeliveries_skipped_total', { state: 'committed' }),
      1,
    )
    controller.abort()
    await again2.return?.(undefined)
  })
})
