// Prometheus metrics: one typed facade with one method per business event. Names of the Go
// original (atkafka_handled_events, atkafka_produced_events, …) are kept verbatim; new series
// follow <prefix>_<noun>_<unit>. Label values come from closed sets, pre-registered at zero.
// Every series keeps its numbers itself (series.ts): snapshot() and /metrics read the same.
import { collectDefaultMetrics, Registry } from 'prom-client'
import { DROP_REASONS, type DropReason } from '../errors.ts'
import {
  LOOKUP_KINDS,
  LOOKUP_STATUSES,
  type LookupKind,
  type LookupStatus,
} from '../identity/identity-types.ts'
import { type Count, counterSeries, countsBy, gaugeSeries, total } from './series.ts'

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
  /** bytes held by the in-flight window */
  readonly inFlightBytes: number
  readonly acks: Readonly<Record<'ok' | 'error', number>>
  readonly tapEventBuffer: number
  readonly tapAckBuffer: number
  /** messages produced, by topic */
  readonly producedByTopic: Readonly<Record<string, number>>
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
  inFlightBytes(bytes: number): void
  upstreamError(name: string): void
  /** Tap: an ack written to the socket (ok), or one that could not be (error: kept for the next connection) */
  ackSent(status: 'ok' | 'error'): void
  /** Tap: events received and not yet acked */
  tapEventBuffer(count: number): void
  /** Tap: acks waiting for a connection to be sent on */
  tapAckBuffer(count: number): void
  /** an identity lookup answered (did_doc and audit_log: PLC or did:web; profile: the API host) */
  identityRequest(kind: LookupKind, status: LookupStatus, cached: boolean): void
  /** where atkafka_cache_size is read (on scrape) */
  identityCacheSizes(read: () => Partial<Record<LookupKind, number>>): void
  /** an event with a DID while enrichment is on: metadata complete, partial (audit log or profile missing) or none */
  eventEnriched(result: 'complete' | 'partial' | 'none'): void
  /** an event whose DID could not be resolved while a service filter is on, and what became of it */
  serviceUnresolved(decision: 'pass' | 'drop'): void
  /** exactly-once: a transaction committed or aborted */
  transactionEnded(result: 'committed' | 'aborted'): void
  /** exactly-once: the cursor (as a number: the relay seq) committed with the last transaction */
  cursorCommitted(position: number): void
  /** standby: 1 while this instance is the writer, 0 while it waits */
  writer(active: boolean): void
  /** messages Kafka holds (or holds in the open transaction) for one topic */
  topicProduced(topic: string, count: number): void
  /** messages sent to the output topic because their routed topic could not be had */
  routedToOutput(reason: 'topic_limit' | 'create_failed', count: number): void
}

export function createMetrics(registry = new Registry()): Metrics {
  // process_* and nodejs_* (heap, event loop lag, GC) next to ours
  collectDefaultMetrics({ register: registry })
  const counter = (
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    preset: readonly (readonly string[])[] = [],
  ) => counterSeries(registry, { name, help, labelNames, preset })
  const gauge = (name: string, help: string, read: () => number | undefined) =>
    gaugeSeries(registry, { name, help }, () => [[{}, read()]])
  const each = (values: readonly string[]) => values.map((v) => [v])

  const handled = counter(
    'atkafka_handled_events',
    'Events received from the upstream and handled, by Osprey action name and collection',
    ['action_name', 'collection'],
  )
  const produced = counter(
    'atkafka_produced_events',
    'Kafka messages produced, by outcome (ok, error, dead_letter)',
    ['status'],
    each(['ok', 'error', 'dead_letter']),
  )
  const dropped = counter(
    'atkafka_dropped_events_total',
    'Upstream events or operations not produced to the output topic, by reason',
    ['reason'],
    each(DROP_REASONS),
  )
  const filtered = counter(
    'atkafka_filtered_events_total',
    'Events left out on purpose by the configured filters, by kind',
    ['kind'],
  )
  const frames = counter('atkafka_upstream_frames_total', 'Frames received from the upstream, by type', [
    'type',
  ])
  const upstreamErrors = counter(
    'atkafka_upstream_errors_total',
    'Error frames and info messages from the upstream, by name (FutureCursor, ConsumerTooSlow, OutdatedCursor, …)',
    ['name'],
  )
  // hot-path values, read when scraped
  const state = {
    upstreamSeq: undefined as number | undefined,
    cursorSeq: undefined as number | undefined,
    committedCursor: undefined as number | undefined,
    eventTime: '',
    inFlight: 0,
    inFlightBytes: 0,
    upstreamState: 'connecting' as UpstreamState,
    upstreamSource: '',
    tapEventBuffer: 0,
    tapAckBuffer: 0,
    writer: undefined as number | undefined,
  }
  gauge('atkafka_upstream_seq', 'Highest upstream seq received', () => state.upstreamSeq)
  gauge(
    'atkafka_cursor_seq',
    'Upstream seq at or below which every event is held by Kafka',
    () => state.cursorSeq,
  )
  gauge('atkafka_lag_seconds', 'Now minus the event time of the latest event held by Kafka', () => {
    const ms = Date.parse(state.eventTime)
    return Number.isFinite(ms) ? Math.max(0, (Date.now() - ms) / 1000) : undefined
  })
  const reconnects = counter('atkafka_reconnects_total', 'Reconnections to the upstream', ['source'])
  gaugeSeries(
    registry,
    {
      name: 'atkafka_upstream_connected',
      help: '1 while the upstream socket is open',
      labelNames: ['source'],
    },
    () =>
      state.upstreamSource
        ? [[{ source: state.upstreamSource }, state.upstreamState === 'connected' ? 1 : 0]]
        : [],
  )
  gauge(
    'atkafka_in_flight_events',
    'Events read from the upstream and not yet acknowledged by Kafka',
    () => state.inFlight,
  )
  gauge(
    'atkafka_in_flight_bytes',
    'Bytes held by the in-flight window: encoded records not yet acknowledged by Kafka, upstream frames waiting for identity lookups',
    () => state.inFlightBytes,
  )
  const acks = counter('atkafka_acks_sent', 'Acks sent to Tap, by status', ['status'], each(['ok', 'error']))
  gauge('atkafka_tap_event_buffer_size', 'Tap events received and not yet acked', () => state.tapEventBuffer)
  gauge(
    'atkafka_tap_ack_event_buffer_size',
    'Acks waiting for a Tap connection to be sent on',
    () => state.tapAckBuffer,
  )

  const lookupSets = (kinds: readonly LookupKind[]) =>
    kinds.flatMap((kind) =>
      LOOKUP_STATUSES.flatMap((status) => [
        [kind, status, 'true'],
        [kind, status, 'false'],
      ]),
    )
  const plcRequests = counter(
    'atkafka_plc_requests',
    'DID document (did_doc: PLC or did:web) and PLC audit log (audit_log) lookups, by status and whether the cache (or a lookup already in flight) answered',
    ['kind', 'status', 'cached'],
    lookupSets(['did_doc', 'audit_log']),
  )
  const apiRequests = counter(
    'atkafka_api_requests',
    'Profile lookups (app.bsky.actor.getProfile on the API host), by status and whether the cache (or a lookup already in flight) answered',
    ['kind', 'status', 'cached'],
    lookupSets(['profile']),
  )
  let readCacheSizes: () => Partial<Record<LookupKind, number>> = () => ({})
  gaugeSeries(
    registry,
    {
      name: 'atkafka_cache_size',
      help: 'Entries in each identity cache (did_doc, audit_log, profile)',
      labelNames: ['kind'],
    },
    () => {
      const sizes = readCacheSizes()
      return LOOKUP_KINDS.map((kind) => [{ kind }, sizes[kind] ?? 0] as const)
    },
  )
  const enriched = counter(
    'atkafka_enriched_events_total',
    'Events with a DID while enrichment is on, by result: complete, partial (audit log or profile missing), none (DID not resolved in time: no eventMetadata)',
    ['result'],
    each(['complete', 'partial', 'none']),
  )
  const unresolved = counter(
    'atkafka_service_filter_unresolved_total',
    'Events whose DID could not be resolved while a service filter is on, by decision (pass: fail-open, drop: fail-closed)',
    ['decision'],
    each(['pass', 'drop']),
  )
  const transactions = counter(
    'atkafka_transactions_total',
    'Exactly-once mode: transactions ended, by result (committed, aborted)',
    ['result'],
    each(['committed', 'aborted']),
  )
  gauge(
    'atkafka_committed_cursor_seq',
    'Exactly-once mode: relay seq of the cursor committed with the last transaction',
    () => state.committedCursor,
  )
  gauge('atkafka_writer', '1 while this instance writes, 0 while it waits as a standby', () => state.writer)
  // topics: the output, dead-letter and routed ones (bounded by --topic-routes-max-topics)
  const topicProduced = counter(
    'atkafka_topic_produced_events_total',
    'Kafka messages produced (acknowledged, or staged in the open transaction), by topic',
    ['topic'],
  )
  const routedToOutput = counter(
    'atkafka_routed_to_output_total',
    'Messages --topic-routes sent to another topic that went to the output topic instead, by reason (topic_limit: --topic-routes-max-topics reached; create_failed: Kafka refused to create the topic)',
    ['reason'],
    each(['topic_limit', 'create_failed']),
  )
  const producedTo = new Map<string, Count>()

  // per-event counts are looked up once per label set; collections past the cap share the
  // "other" series so memory stays bounded
  const seenCollections = new Set<string>()
  const handledBy = new Map<string, Count>()
  const handledCount = (actionName: string, collection: string) => {
    let label = collection
    if (collection !== '' && !seenCollections.has(collection)) {
      if (seenCollections.size < MAX_COLLECTION_LABELS) seenCollections.add(collection)
      else label = 'other'
    }
    const id = `${actionName} ${label}`
    let count = handledBy.get(id)
    if (!count) {
      count = handled.child(actionName, label)
      handledBy.set(id, count)
    }
    return count
  }
  const producedBy = {
    ok: produced.child('ok'),
    error: produced.child('error'),
    dead_letter: produced.child('dead_letter'),
  }
  const requestCounts = new Map<string, Count>()
  for (const c of [...plcRequests.children(), ...apiRequests.children()]) {
    requestCounts.set(`${c.labels.kind} ${c.labels.status} ${c.labels.cached}`, c)
  }

  return {
    registry,
    snapshot: () => ({
      handled: total(handled),
      produced: countsBy(produced, 'status') as Record<ProducedStatus, number>,
      dropped: countsBy(dropped, 'reason') as Record<DropReason, number>,
      filtered: countsBy(filtered, 'kind'),
      upstreamErrors: countsBy(upstreamErrors, 'name'),
      upstreamState: state.upstreamState,
      reconnects: total(reconnects),
      upstreamSeq: state.upstreamSeq,
      cursorSeq: state.cursorSeq,
      eventTime: state.eventTime,
      inFlight: state.inFlight,
      inFlightBytes: state.inFlightBytes,
      acks: countsBy(acks, 'status') as Record<'ok' | 'error', number>,
      tapEventBuffer: state.tapEventBuffer,
      tapAckBuffer: state.tapAckBuffer,
      producedByTopic: countsBy(topicProduced, 'topic'),
    }),
    eventHandled: (actionName, collection) => {
      handledCount(actionName, collection).value++
    },
    eventsProduced: (status, count) => {
      producedBy[status].value += count
    },
    eventDropped: (reason, count = 1) => {
      dropped.child(reason).value += count
    },
    eventFiltered: (kind) => {
      filtered.child(kind).value++
    },
    upstreamFrame: (type) => {
      frames.child(type).value++
    },
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
      reconnects.child(source).value++
    },
    upstreamState: (source, upstreamState) => {
      state.upstreamSource = source
      state.upstreamState = upstreamState
    },
    inFlight: (count) => {
      state.inFlight = count
    },
    inFlightBytes: (bytes) => {
      state.inFlightBytes = bytes
    },
    upstreamError: (name) => {
      upstreamErrors.child(name).value++
    },
    ackSent: (status) => {
      acks.child(status).value++
    },
    tapEventBuffer: (count) => {
      state.tapEventBuffer = count
    },
    tapAckBuffer: (count) => {
      state.tapAckBuffer = count
    },
    identityRequest: (kind, status, cached) => {
      const count = requestCounts.get(`${kind} ${status} ${cached}`)
      if (count) count.value++
    },
    identityCacheSizes: (read) => {
      readCacheSizes = read
    },
    eventEnriched: (result) => {
      enriched.child(result).value++
    },
    serviceUnresolved: (decision) => {
      unresolved.child(decision).value++
    },
    transactionEnded: (result) => {
      transactions.child(result).value++
    },
    cursorCommitted: (position) => {
      state.committedCursor = position
    },
    topicProduced: (topic, count) => {
      let c = producedTo.get(topic)
      if (!c) {
        c = topicProduced.child(topic)
        producedTo.set(topic, c)
      }
      c.value += count
    },
    routedToOutput: (reason, count) => {
      routedToOutput.child(reason).value += count
    },
    writer: (active) => {
      state.writer = active ? 1 : 0
    },
  }
}
