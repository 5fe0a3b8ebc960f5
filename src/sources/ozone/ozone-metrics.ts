// ozone-events' series: queryEvents pages and events read, failed calls by reason, and the
// high-water mark window (how far back each pass starts, ids kept to skip re-reads, times the
// window was cut short to stay within --ozone-max-tracked). Also on the status page.
import type { Registry } from 'prom-client'
import { counterSeries, countsBy, each, gauge, metricsPart, total } from '../../metrics/series.ts'
import type { Failure } from './ozone-failures.ts'

/** why a call to the PDS failed: what ozone-failures.ts makes of the answer, or no answer */
type FailureReason = Failure['kind'] | 'transport'
const FAILURE_REASONS: readonly FailureReason[] = ['retry', 'session', 'config', 'fatal', 'transport']

export interface OzoneMetrics {
  /** a queryEvents page read: its events, and how many of them were not read before */
  ozonePage(events: number, fresh: number): void
  ozoneRequestFailed(reason: FailureReason): void
  /** the window after a page: ids kept, times cut short (since start), and how far back the pass started (ms; undefined: from the first event) */
  ozoneWindow(tracked: number, shortened: number, spanMs: number | undefined): void
}

interface OzoneSnapshot {
  readonly ozonePages: number
  readonly ozoneEventsRead: number
  readonly ozoneRequestFailures: Readonly<Record<FailureReason, number>>
  readonly ozoneTrackedIds: number
  readonly ozoneWindowShortened: number
  /** seconds between the current pass's start edge and its start */
  readonly ozoneWindowSeconds: number | undefined
}

export const ozoneMetrics = metricsPart((registry: Registry) => {
  const pages = counterSeries(registry, {
    name: 'atkafka_ozone_pages_total',
    help: 'ozone-events: tools.ozone.moderation.queryEvents pages read',
  })
  const read = counterSeries(registry, {
    name: 'atkafka_ozone_events_read_total',
    help: 'ozone-events: moderation events read, by whether they were new or read again in the overlap (repeat)',
    labelNames: ['read'],
    preset: each(['new', 'repeat']),
  })
  const failures = counterSeries(registry, {
    name: 'atkafka_ozone_request_failures_total',
    help: 'ozone-events: calls to the PDS (login, refresh, queryEvents) that failed, by reason (retry: transient, retried; session: token renewed; config: refused for good, exit 2; fatal: exit 1; transport: no answer)',
    labelNames: ['reason'],
    preset: each(FAILURE_REASONS),
  })
  const state = { tracked: 0, windowMs: undefined as number | undefined }
  gauge(
    registry,
    'atkafka_ozone_window_seconds',
    'ozone-events: how far back the current read pass started (its createdAfter edge) from when it started: --ozone-overlap-ms when caught up, more while a backlog drains, less after the window was cut short',
    () => (state.windowMs === undefined ? undefined : state.windowMs / 1000),
  )
  gauge(
    registry,
    'atkafka_ozone_tracked_ids',
    'ozone-events: event ids kept to skip events read again in the overlap (bounded by --ozone-max-tracked)',
    () => state.tracked,
  )
  const shortened = counterSeries(registry, {
    name: 'atkafka_ozone_window_shortened_total',
    help: 'ozone-events: times the overlap was cut short to stay within --ozone-max-tracked (events committed that late could be missed)',
  })
  const shortenedCount = shortened.child()
  const metrics: OzoneMetrics & { snapshot(): OzoneSnapshot } = {
    ozonePage: (events, fresh) => {
      pages.child().value++
      read.child('new').value += fresh
      read.child('repeat').value += events - fresh
    },
    ozoneRequestFailed: (reason) => {
      failures.child(reason).value++
    },
    ozoneWindow: (tracked, cutShort, spanMs) => {
      state.tracked = tracked
      shortenedCount.value = cutShort
      state.windowMs = spanMs
    },
    snapshot: () => ({
      ozonePages: total(pages),
      ozoneEventsRead: total(read),
      ozoneRequestFailures: countsBy(failures, 'reason') as Record<FailureReason, number>,
      ozoneTrackedIds: state.tracked,
      ozoneWindowShortened: shortenedCount.value,
      ozoneWindowSeconds: state.windowMs === undefined ? undefined : state.windowMs / 1000,
    }),
  }
  return metrics
})
