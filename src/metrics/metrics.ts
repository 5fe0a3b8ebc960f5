// Prometheus metrics: one typed facade with one method per business event. Names of the Go
// original (atkafka_handled_events, atkafka_produced_events, …) are kept verbatim; new series
// follow <prefix>_<noun>_<unit>. Label values come from closed sets, pre-registered at zero.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { DROP_REASONS, type DropReason } from '../errors.ts'

/** Distinct collection label values before new ones are reported as "other" (collections are open-ended). */
const MAX_COLLECTION_LABELS = 250

export type ProducedStatus = 'ok' | 'error' | 'dead_letter'
export type UpstreamState = 'connecting' | 'connected' | 'disconnected'

export interface Metrics {
  readonly registry: Registry
  eventHandled(actionName: string, collection: string): void
  eventsProduced(status: ProducedStatus, count: number): void
  eventDropped(reason: DropReason, count?: number): void
  eventFiltered(kind: string): void
  upstreamFrame(type: string): void
  upstreamSeq(seq: number): void
  cursorSeq(seq: number): void
  eventTime(time: string): void
  reconnected(source: string): void
  upstreamState(source: string, state: UpstreamState): void
  inFlight(count: number): void
  upstreamError(name: string): void
  /** Tap: an ack written to the socket (ok), or one that could not be (error: kept for the next connection) */
  ackSent(status: 'ok' | 'error'): void
  /** Tap: events received and not yet acked */
  tapEventBuffer(count: number): void
  /** Tap: acks waiting for a connection to be sent on */
  tapAckBuffer(count: number): void
  /** exactly-once: a transaction committed (with the cursor seq it carried) or aborted */
  transactionEnded(result: 'committed' | 'aborted', messages: number, cursor?: number): void
  /** standby: 1 while this instance is the writer, 0 while it waits */
  writer(active: boolean): void
}

export function createMetrics(registry = new Registry()): Metrics {
  // process_* and nodejs_* (heap, event loop lag, GC) next to ours
  collectDefaultMetrics({ register: registry })
  const handled = new Counter({
    name: 'atkafka_handled_events',
    help: 'Events received from the upstream and handled, by Osprey action name and collection',
    labelNames: ['action_name', 'collection'],
    registers: [registry],
  })
  const produced = new Counter({
    name: 'atkafka_produced_events',
    help: 'Kafka messages produced, by outcome (ok, error, dead_letter)',
    labelNames: ['status'],
    registers: [registry],
  })
  for (const s of ['ok', 'error', 'dead_letter']) produced.inc({ status: s }, 0)
  const dropped = new Counter({
    name: 'atkafka_dropped_events_total',
    help: 'Upstream events or operations not produced to the output topic, by reason',
    labelNames: ['reason'],
    registers: [registry],
  })
  for (const r of DROP_REASONS) dropped.inc({ reason: r }, 0)
  const filtered = new Counter({
    name: 'atkafka_filtered_events_total',
    help: 'Events left out on purpose by the configured filters, by kind',
    labelNames: ['kind'],
    registers: [registry],
  })
  const frames = new Counter({
    name: 'atkafka_upstream_frames_total',
    help: 'Frames received from the upstream, by type',
    labelNames: ['type'],
    registers: [registry],
  })
  const upstreamErrors = new Counter({
    name: 'atkafka_upstream_errors_total',
    help: 'Error frames and info messages from the upstream, by name (FutureCursor, ConsumerTooSlow, OutdatedCursor, …)',
    labelNames: ['name'],
    registers: [registry],
  })
  // hot-path values are plain variables, turned into gauges only when scraped
  const state = { upstreamSeq: Number.NaN, cursorSeq: Number.NaN, eventTime: '', inFlight: 0 }
  new Gauge({
    name: 'atkafka_upstream_seq',
    help: 'Highest upstream seq received',
    registers: [registry],
    collect() {
      if (!Number.isNaN(state.upstreamSeq)) this.set(state.upstreamSeq)
    },
  })
  new Gauge({
    name: 'atkafka_cursor_seq',
    help: 'Upstream seq at or below which every event is held by Kafka',
    registers: [registry],
    collect() {
      if (!Number.isNaN(state.cursorSeq)) this.set(state.cursorSeq)
    },
  })
  new Gauge({
    name: 'atkafka_lag_seconds',
    help: 'Now minus the event time of the latest event held by Kafka',
    registers: [registry],
    collect() {
      const ms = Date.parse(state.eventTime)
      if (Number.isFinite(ms)) this.set(Math.max(0, (Date.now() - ms) / 1000))
    },
  })
  const reconnects = new Counter({
    name: 'atkafka_reconnects_total',
    help: 'Reconnections to the upstream',
    labelNames: ['source'],
    registers: [registry],
  })
  const connected = new Gauge({
    name: 'atkafka_upstream_connected',
    help: '1 while the upstream socket is open',
    labelNames: ['source'],
    registers: [registry],
  })
  new Gauge({
    name: 'atkafka_in_flight_events',
    help: 'Events read from the upstream and not yet acknowledged by Kafka',
    registers: [registry],
    collect() {
      this.set(state.inFlight)
    },
  })

  const acks = new Counter({
    name: 'atkafka_acks_sent',
    help: 'Acks sent to Tap, by status',
    labelNames: ['status'],
    registers: [registry],
  })
  for (const st of ['ok', 'error']) acks.inc({ status: st }, 0)
  const tapEvents = new Gauge({
    name: 'atkafka_tap_event_buffer_size',
    help: 'Tap events received and not yet acked',
    registers: [registry],
  })
  const tapAcks = new Gauge({
    name: 'atkafka_tap_ack_event_buffer_size',
    help: 'Acks waiting for a Tap connection to be sent on',
    registers: [registry],
  })

  const transactions = new Counter({
    name: 'atkafka_transactions_total',
    help: 'Exactly-once mode: transactions ended, by result (committed, aborted)',
    labelNames: ['result'],
    registers: [registry],
  })
  for (const r of ['committed', 'aborted']) transactions.inc({ result: r }, 0)
  const committedCursor = new Gauge({
    name: 'atkafka_committed_cursor_seq',
    help: 'Exactly-once mode: relay seq of the cursor committed with the last transaction',
    registers: [registry],
  })
  const writer = new Gauge({
    name: 'atkafka_writer',
    help: '1 while this instance writes, 0 while it waits as a standby',
    registers: [registry],
  })

  // per-event series are looked up once per label set (prom-client's labels() hashes on every
  // call); collections past the cap share the "other" series so memory stays bounded
  const seenCollections = new Set<string>()
  const handledChildren = new Map<string, { inc(): void }>()
  const handledChild = (actionName: string, collection: string) => {
    let label = collection
    if (collection !== '' && !seenCollections.has(collection)) {
      if (seenCollections.size < MAX_COLLECTION_LABELS) seenCollections.add(collection)
      else label = 'other'
    }
    const id = `${actionName} ${label}`
    let child = handledChildren.get(id)
    if (!child) {
      child = handled.labels({ action_name: actionName, collection: label })
      handledChildren.set(id, child)
    }
    return child
  }

  return {
    registry,
    eventHandled: (actionName, collection) => handledChild(actionName, collection).inc(),
    eventsProduced: (status, count) => produced.inc({ status }, count),
    eventDropped: (reason, count = 1) => dropped.inc({ reason }, count),
    eventFiltered: (kind) => filtered.inc({ kind }),
    upstreamFrame: (type) => frames.inc({ type }),
    upstreamSeq: (seq) => {
      state.upstreamSeq = seq
    },
    cursorSeq: (seq) => {
      state.cursorSeq = seq
    },
    eventTime: (time) => {
      state.eventTime = time
    },
    reconnected: (source) => reconnects.inc({ source }),
    upstreamState: (source, state) => connected.set({ source }, state === 'connected' ? 1 : 0),
    inFlight: (count) => {
      state.inFlight = count
    },
    upstreamError: (name) => upstreamErrors.inc({ name }),
    ackSent: (status) => acks.inc({ status }),
    tapEventBuffer: (count) => tapEvents.set(count),
    tapAckBuffer: (count) => tapAcks.set(count),
    transactionEnded: (result, _messages, cursor) => {
      transactions.inc({ result })
      if (result === 'committed' && cursor !== undefined) committedCursor.set(cursor)
    },
    writer: (active) => writer.set(active ? 1 : 0),
  }
}
