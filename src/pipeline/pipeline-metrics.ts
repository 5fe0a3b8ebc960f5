// The pipeline's series: events handled (by Osprey action name and collection), dropped (by
// reason: decoding, the sink's refusals), filtered (by kind), the event time of the latest one
// Kafka holds (the lag), and the in-flight window.
import type { Registry } from 'prom-client'
import { DROP_REASONS, type DropReason } from '../errors.ts'
import { type Count, counterSeries, countsBy, each, gauge, metricsPart, total } from '../metrics/series.ts'

/** Distinct collection label values before new ones are reported as "other" (collections are open-ended). */
const MAX_COLLECTION_LABELS = 250

/** an event or operation not produced, and why (sources count their decode drops here too) */
export interface DropMetrics {
  eventDropped(reason: DropReason, count?: number): void
}

export interface PipelineMetrics extends DropMetrics {
  eventHandled(actionName: string, collection: string): void
  eventFiltered(kind: string): void
  eventTime(time: string): void
  inFlight(count: number): void
  inFlightBytes(bytes: number): void
}

export interface PipelineSnapshot {
  readonly handled: number
  readonly dropped: Readonly<Record<DropReason, number>>
  /** by event kind */
  readonly filtered: Readonly<Record<string, number>>
  /** event time of the latest event held by Kafka ('' before the first) */
  readonly eventTime: string
  readonly inFlight: number
  /** bytes held by the in-flight window */
  readonly inFlightBytes: number
}

export const pipelineMetrics = metricsPart((registry: Registry) => {
  const handled = counterSeries(registry, {
    name: 'atkafka_handled_events',
    help: 'Events received from the upstream and handled, by Osprey action name and collection',
    labelNames: ['action_name', 'collection'],
  })
  const dropped = counterSeries(registry, {
    name: 'atkafka_dropped_events_total',
    help: 'Upstream events or operations not produced to the output topic, by reason',
    labelNames: ['reason'],
    preset: each(DROP_REASONS),
  })
  const filtered = counterSeries(registry, {
    name: 'atkafka_filtered_events_total',
    help: 'Events left out on purpose by the configured filters, by kind',
    labelNames: ['kind'],
  })
  const state = { eventTime: '', inFlight: 0, inFlightBytes: 0 }
  gauge(registry, 'atkafka_lag_seconds', 'Now minus the event time of the latest event held by Kafka', () => {
    const ms = Date.parse(state.eventTime)
    return Number.isFinite(ms) ? Math.max(0, (Date.now() - ms) / 1000) : undefined
  })
  gauge(
    registry,
    'atkafka_in_flight_events',
    'Events read from the upstream and not yet acknowledged by Kafka',
    () => state.inFlight,
  )
  gauge(
    registry,
    'atkafka_in_flight_bytes',
    'Bytes held by the in-flight window: encoded records not yet acknowledged by Kafka, upstream frames waiting for identity lookups',
    () => state.inFlightBytes,
  )
  // per-event counts are looked up once per label set; collections past the cap share the
  // "other" series so memory stays bounded
  const seenCollections = new Set<string>()
  // action name → collection label → count (no key string built per event)
  const handledBy = new Map<string, Map<string, Count>>()
  const handledCount = (actionName: string, collection: string) => {
    let label = collection
    if (collection !== '' && !seenCollections.has(collection)) {
      if (seenCollections.size < MAX_COLLECTION_LABELS) seenCollections.add(collection)
      else label = 'other'
    }
    let byLabel = handledBy.get(actionName)
    if (!byLabel) {
      byLabel = new Map()
      handledBy.set(actionName, byLabel)
    }
    let count = byLabel.get(label)
    if (!count) {
      count = handled.child(actionName, label)
      byLabel.set(label, count)
    }
    return count
  }
  const metrics: PipelineMetrics & { snapshot(): PipelineSnapshot } = {
    eventHandled: (actionName, collection) => {
      handledCount(actionName, collection).value++
    },
    eventDropped: (reason, count = 1) => {
      dropped.child(reason).value += count
    },
    eventFiltered: (kind) => {
      filtered.child(kind).value++
    },
    eventTime: (time) => {
      state.eventTime = time
    },
    inFlight: (count) => {
      state.inFlight = count
    },
    inFlightBytes: (bytes) => {
      state.inFlightBytes = bytes
    },
    snapshot: () => ({
      handled: total(handled),
      dropped: countsBy(dropped, 'reason') as Record<DropReason, number>,
      filtered: countsBy(filtered, 'kind'),
      eventTime: state.eventTime,
      inFlight: state.inFlight,
      inFlightBytes: state.inFlightBytes,
    }),
  }
  return metrics
})
