// Prometheus metrics: one typed facade with one method per business event. Names of the Go
// original (atkafka_handled_events, atkafka_produced_events, …) are kept verbatim; new series
// follow <prefix>_<noun>_<unit>. Label values come from closed sets, pre-registered at zero.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { DROP_REASONS, type DropReason } from '../errors.ts'
import {
  LOOKUP_KINDS,
  LOOKUP_STATUSES,
  type LookupKind,
  type LookupStatus,
} from '../identity/identity-types.ts'

/** Distinct collection label values before new ones are reported as "other" (collections are open-ended). */
const MAX_COLLECTION_LABELS = 250

export type ProducedStatus = 'ok' | 'error' | 'dead_letter'
export type UpstreamState = 'connecting' | 'connected' | 'disconnected'

/**
 * The counters and gauges as plain numbers, read without going through the registry (the
 * status page and the progress log line are built from it; src/status/).
 */
export interface MetricsSnapshot {
  readonly handled: number
  readonly produced: Readonly<Record<ProducedStatus, number>>
  readonly dropped: Readonly<Record<DropReason, number>>
  /** by event kind */
  readonly filtered: Readonly<Record<string, number>>
  /** by error / info name */
  readonly upstreamErrors: Readonly<Record<string, number>>
  readonly upstreamState: UpstreamState
  readonly reconnects: number
  /** highest upstream seq received (undefined before the first) */
  readonly upstreamSeq: number | undefined
  /** seq at or below which Kafka holds every event (relay) */
  readonly cursorSeq: number | undefined
  /** event time of the latest event held by Kafka ('' before the first) */
  readonly eventTime: string
  readonly inFlight: number
  readonly acks: Readonly<Record<'ok' | 'error', number>>
  readonly tapEventBuffer: number
  readonly tapAckBuffer: number
}

export interface Metrics {
  readonly registry: Registry
  /** a copy of the current values */
  snapshot(): MetricsSnapshot
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
  /** an identity lookup answered (did_doc and audit_log: PLC or did:web; profile: the API host) */
  identityRequest(kind: LookupKind, status: LookupStatus, cached: boolean): void
  /** where atkafka_cache_size and the cache hits of atkafka_plc/api_requests are read (on scrape) */
  identityCaches(read: () => Partial<Record<LookupKind, { size: number; hits: number }>>): void
  /** an event with a DID while enrichment is on: metadata complete, partial (audit log or profile missing) or none */
  eventEnriched(result: 'complete' | 'partial' | 'none'): void
  /** an event whose DID could not be resolved while a service filter is on, and what became of it */
  serviceUnresolved(decision: 'pass' | 'drop'): void
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
  // the same counts as plain numbers, for snapshot()
  const totals = {
    handled: 0,
    produced: { ok: 0, error: 0, dead_letter: 0 } as Record<ProducedStatus, number>,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    // Maps: upstream error names are whatever the upstream sends
    filtered: new Map<string, number>(),
    upstreamErrors: new Map<string, number>(),
    upstreamState: 'connecting' as UpstreamState,
    reconnects: 0,
    acks: { ok: 0, error: 0 },
    tapEventBuffer: 0,
    tapAckBuffer: 0,
  }
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

  // misses are counted as they happen; cache hits (the hot path) are plain counts in the
  // caches, added to the counters when scraped
  let readCaches: () => Partial<Record<LookupKind, { size: number; hits: number }>> = () => ({})
  const reportedHits: Record<LookupKind, number> = { did_doc: 0, audit_log: 0, profile: 0 }
  const requestChild = new Map<string, { inc(n?: number): void }>()
  const addHits = (kinds: readonly LookupKind[]) => {
    const caches = readCaches()
    for (const kind of kinds) {
      const hits = caches[kind]?.hits ?? 0
      if (hits > reportedHits[kind]) {
        requestChild.get(`${kind} ok true`)?.inc(hits - reportedHits[kind])
        reportedHits[kind] = hits
      }
    }
  }
  const plcRequests = new Counter({
    name: 'atkafka_plc_requests',
    help: 'DID document (did_doc: PLC or did:web) and PLC audit log (audit_log) lookups, by status and whether the cache (or a lookup already in flight) answered',
    labelNames: ['kind', 'status', 'cached'],
    registers: [registry],
    collect: () => addHits(['did_doc', 'audit_log']),
  })
  const apiRequests = new Counter({
    name: 'atkafka_api_requests',
    help: 'Profile lookups (app.bsky.actor.getProfile on the API host), by status and whether the cache (or a lookup already in flight) answered',
    labelNames: ['kind', 'status', 'cached'],
    registers: [registry],
    collect: () => addHits(['profile']),
  })
  for (const kind of LOOKUP_KINDS) {
    const counter = kind === 'profile' ? apiRequests : plcRequests
    for (const status of LOOKUP_STATUSES) {
      for (const cached of ['true', 'false']) {
        const child = counter.labels({ kind, status, cached })
        child.inc(0)
        requestChild.set(`${kind} ${status} ${cached}`, child)
      }
    }
  }
  new Gauge({
    name: 'atkafka_cache_size',
    help: 'Entries in each identity cache (did_doc, audit_log, profile)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const caches = readCaches()
      for (const kind of LOOKUP_KINDS) this.set({ kind }, caches[kind]?.size ?? 0)
    },
  })
  // per event: a plain count, added to the counter when scraped
  const enrichedCounts = { complete: 0, partial: 0, none: 0 }
  const enrichedReported = { complete: 0, partial: 0, none: 0 }
  new Counter({
    name: 'atkafka_enriched_events_total',
    help: 'Events with a DID while enrichment is on, by result: complete, partial (audit log or profile missing), none (DID not resolved in time: no eventMetadata)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      for (const r of ['complete', 'partial', 'none'] as const) {
        this.inc({ result: r }, enrichedCounts[r] - enrichedReported[r])
        enrichedReported[r] = enrichedCounts[r]
      }
    },
  })
  const unresolved = new Counter({
    name: 'atkafka_service_filter_unresolved_total',
    help: 'Events whose DID could not be resolved while a service filter is on, by decision (pass: fail-open, drop: fail-closed)',
    labelNames: ['decision'],
    registers: [registry],
  })
  for (const d of ['pass', 'drop']) unresolved.inc({ decision: d }, 0)
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
    snapshot: () => ({
      handled: totals.handled,
      produced: { ...totals.produced },
      dropped: { ...totals.dropped },
      filtered: Object.fromEntries(totals.filtered),
      upstreamErrors: Object.fromEntries(totals.upstreamErrors),
      upstreamState: totals.upstreamState,
      reconnects: totals.reconnects,
      upstreamSeq: Number.isNaN(state.upstreamSeq) ? undefined : state.upstreamSeq,
      cursorSeq: Number.isNaN(state.cursorSeq) ? undefined : state.cursorSeq,
      eventTime: state.eventTime,
      inFlight: state.inFlight,
      acks: { ...totals.acks },
      tapEventBuffer: totals.tapEventBuffer,
      tapAckBuffer: totals.tapAckBuffer,
    }),
    eventHandled: (actionName, collection) => {
      totals.handled++
      handledChild(actionName, collection).inc()
    },
    eventsProduced: (status, count) => {
      totals.produced[status] += count
      produced.inc({ status }, count)
    },
    eventDropped: (reason, count = 1) => {
      totals.dropped[reason] += count
      dropped.inc({ reason }, count)
    },
    eventFiltered: (kind) => {
      totals.filtered.set(kind, (totals.filtered.get(kind) ?? 0) + 1)
      filtered.inc({ kind })
    },
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
    reconnected: (source) => {
      totals.reconnects++
      reconnects.inc({ source })
    },
    upstreamState: (source, upstreamState) => {
      totals.upstreamState = upstreamState
      connected.set({ source }, upstreamState === 'connected' ? 1 : 0)
    },
    inFlight: (count) => {
      state.inFlight = count
    },
    upstreamError: (name) => {
      totals.upstreamErrors.set(name, (totals.upstreamErrors.get(name) ?? 0) + 1)
      upstreamErrors.inc({ name })
    },
    ackSent: (status) => {
      totals.acks[status]++
      acks.inc({ status })
    },
    tapEventBuffer: (count) => {
      totals.tapEventBuffer = count
      tapEvents.set(count)
    },
    tapAckBuffer: (count) => {
      totals.tapAckBuffer = count
      tapAcks.set(count)
    },
    identityRequest: (kind, status, cached) => requestChild.get(`${kind} ${status} ${cached}`)?.inc(),
    identityCaches: (read) => {
      readCaches = read
    },
    eventEnriched: (result) => {
      enrichedCounts[result]++
    },
    serviceUnresolved: (decision) => unresolved.inc({ decision }),
    transactionEnded: (result, _messages, cursor) => {
      transactions.inc({ result })
      if (result === 'committed' && cursor !== undefined) committedCursor.set(cursor)
    },
    writer: (active) => writer.set(active ? 1 : 0),
  }
}
