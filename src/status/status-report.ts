// What /status.json answers and the status page shows, and the fields of the periodic progress
// log line: pure functions of a metrics snapshot, what the app knows about itself, an older
// counter sample (for the rate) and the time.
import type { FirehoseCommand } from '../config/schema.ts'
import type { DropReason } from '../errors.ts'
import type { LogEntry } from '../logging/recent-log.ts'
import type { MetricsSnapshot, ProducedStatus, UpstreamState } from '../metrics/metrics.ts'
import type { OzonePosition } from '../sources/ozone/ozone-position.ts'
import { ratesBetween, type Sample } from './throughput.ts'

/** ozone-events: where the run is in the labeler's event log */
interface OzoneStatusInfo {
  readonly labelerDid: string
  /** the position Kafka holds everything before (what is saved) */
  readonly safe: OzonePosition | undefined
  readonly trackedIds: number
  readonly windowShortened: number
  readonly pages: number
  readonly eventsRead: number
}

/** What the app knows about its run, beside the metrics. */
export interface StatusInfo {
  readonly command: FirehoseCommand
  /** the upstream URL without credentials */
  readonly upstreamUrl: string
  readonly bootstrapServers: readonly string[]
  readonly topic: string
  readonly producerReady: boolean
  readonly startedAtMs: number
  /** resumable sources: where the cursor is kept (e.g. "kafka topic atkafka-cursors key relay:host"), 'none' */
  readonly cursorLocation?: string
  /** resumable sources: the cursor last written to the store this run */
  readonly savedCursor?: number
  /** tap: --disable-acks */
  readonly acksDisabled?: boolean
  readonly ozone?: OzoneStatusInfo
}

export interface StatusReport {
  readonly command: FirehoseCommand
  readonly generatedAt: string
  readonly uptimeSeconds: number
  readonly upstream: {
    readonly url: string
    readonly state: UpstreamState
    readonly reconnects: number
    /** error frames and info messages, by name */
    readonly errors: Readonly<Record<string, number>>
  }
  readonly broker: {
    readonly bootstrapServers: readonly string[]
    readonly topic: string
    readonly producerReady: boolean
    readonly produced: Readonly<Record<ProducedStatus, number>>
    /** messages produced, by topic (the output topic, the dead-letter topic, routed topics) */
    readonly topics: Readonly<Record<string, number>>
  }
  readonly throughput: {
    /** seconds the rates are measured over (0: not measured yet) */
    readonly seconds: number
    readonly handledPerSecond: number
    readonly producedPerSecond: number
  }
  readonly totals: {
    readonly handled: number
    readonly produced: number
    readonly dropped: number
    readonly filtered: number
  }
  /** now minus the event time of the latest event Kafka holds; null before the first */
  readonly lagSeconds: number | null
  readonly latestEventTime: string | null
  readonly inFlight: number
  /** bytes held by the in-flight window */
  readonly inFlightBytes: number
  /** relay mode */
  readonly relay?: {
    readonly upstreamSeq: number | null
    /** the seq at or below which Kafka holds everything: what the cursor is saved at */
    readonly safeCursor: number | null
    readonly savedCursor: number | null
    readonly cursorLocation: string
  }
  /** ozone-events mode (docs/ozone.md) */
  readonly ozone?: {
    readonly labelerDid: string
    /** every event created before it is in Kafka; null: from the first event */
    readonly safeCreatedAfter: string | null
    /** ids at or after it already in Kafka */
    readonly safeSeenIds: number
    /** the newest event in Kafka: its id */
    readonly lastEventId: number | null
    /** the window edge last written to the store this run (epoch ms), as relay's savedCursor */
    readonly savedCursor: number | null
    readonly trackedIds: number
    readonly windowShortened: number
    readonly pages: number
    /** events read, re-reads of the overlap included */
    readonly eventsRead: number
    readonly cursorLocation: string
  }
  /** Tap mode */
  readonly tap?: {
    readonly acksSent: number
    readonly ackErrors: number
    readonly unacked: number
    readonly acksWaiting: number
    readonly acksDisabled: boolean
  }
  readonly dropped: Readonly<Record<DropReason, number>>
  readonly filtered: Readonly<Record<string, number>>
  readonly logs: {
    readonly counts: Readonly<Record<LogEntry['level'], number>>
    /** the last warn/error entries, newest first */
    readonly recent: readonly LogEntry[]
  }
}

export interface StatusInput {
  readonly info: StatusInfo
  readonly snapshot: MetricsSnapshot
  /** the counter sample the rates are measured from */
  readonly older: Sample | undefined
  readonly nowMs: number
  readonly logs?: { readonly counts: Record<LogEntry['level'], number>; readonly recent: readonly LogEntry[] }
}

const round = (n: number, digits: number) => {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
const sum = (o: Readonly<Record<string, number>>) => Object.values(o).reduce((a, b) => a + b, 0)

export function sampleOf(snapshot: MetricsSnapshot, atMs: number): Sample {
  return { atMs, handled: snapshot.handled, produced: snapshot.produced.ok }
}

/** the URL to show: no user, password or query (a token may sit there) */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return url
  const u = new URL(url)
  u.username = ''
  u.password = ''
  u.search = ''
  return u.toString()
}

export function buildStatusReport(input: StatusInput): StatusReport {
  const { info, snapshot: s, older, nowMs } = input
  const rates = ratesBetween(older, sampleOf(s, nowMs))
  const eventMs = Date.parse(s.eventTime)
  const lagSeconds = Number.isFinite(eventMs) ? round(Math.max(0, (nowMs - eventMs) / 1000), 1) : null
  return {
    command: info.command,
    generatedAt: new Date(nowMs).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - info.startedAtMs) / 1000)),
    upstream: {
      url: displayUrl(info.upstreamUrl),
      state: s.upstreamState,
      reconnects: s.reconnects,
      errors: s.upstreamErrors,
    },
    broker: {
      bootstrapServers: info.bootstrapServers,
      topic: info.topic,
      producerReady: info.producerReady,
      produced: s.produced,
      topics: s.producedByTopic,
    },
    throughput: {
      seconds: rates ? round(rates.seconds, 1) : 0,
      handledPerSecond: rates ? round(rates.handledPerSecond, 1) : 0,
      producedPerSecond: rates ? round(rates.producedPerSecond, 1) : 0,
    },
    totals: {
      handled: s.handled,
      produced: s.produced.ok,
      dropped: sum(s.dropped),
      filtered: sum(s.filtered),
    },
    lagSeconds,
    latestEventTime: Number.isFinite(eventMs) ? s.eventTime : null,
    inFlight: s.inFlight,
    inFlightBytes: s.inFlightBytes,
    ...(info.command === 'relay'
      ? {
          relay: {
            upstreamSeq: s.upstreamSeq ?? null,
            safeCursor: s.cursorSeq ?? null,
            savedCursor: info.savedCursor ?? null,
            cursorLocation: info.cursorLocation ?? 'none',
          },
        }
      : info.command === 'ozone'
        ? { ozone: ozoneReport(info) }
        : {
            tap: {
              acksSent: s.acks.ok,
              ackErrors: s.acks.error,
              unacked: s.tapEventBuffer,
              acksWaiting: s.tapAckBuffer,
              acksDisabled: info.acksDisabled ?? false,
            },
          }),
    dropped: s.dropped,
    filtered: s.filtered,
    logs: {
      counts: input.logs?.counts ?? { warn: 0, error: 0, fatal: 0 },
      recent: [...(input.logs?.recent ?? [])].reverse(),
    },
  }
}

/** The fields of the periodic info line "progress": the rate since the previous line, totals, lag, position. */
export function progressFields(report: StatusReport): Record<string, unknown> {
  return {
    eventsPerSecond: report.throughput.handledPerSecond,
    producedPerSecond: report.throughput.producedPerSecond,
    handled: report.totals.handled,
    produced: report.totals.produced,
    dropped: report.totals.dropped,
    filtered: report.totals.filtered,
    lagSeconds: report.lagSeconds,
    inFlight: report.inFlight,
    inFlightBytes: report.inFlightBytes,
    upstream: report.upstream.state,
    ...(report.relay
      ? {
          upstreamSeq: report.relay.upstreamSeq,
          cursor: report.relay.safeCursor,
          savedCursor: report.relay.savedCursor,
        }
      : {}),
    ...(report.tap ? { acksSent: report.tap.acksSent, unacked: report.tap.unacked } : {}),
    ...(report.ozone
      ? {
          createdAfter: report.ozone.safeCreatedAfter,
          lastEventId: report.ozone.lastEventId,
          trackedIds: report.ozone.trackedIds,
        }
      : {}),
  }
}

function ozoneReport(info: StatusInfo): NonNullable<StatusReport['ozone']> {
  const o = info.ozone
  return {
    labelerDid: o?.labelerDid ?? '',
    safeCreatedAfter: o?.safe?.createdAfter ?? null,
    safeSeenIds: o?.safe?.seen.length ?? 0,
    lastEventId: o?.safe?.last?.id ?? null,
    savedCursor: info.savedCursor ?? null,
    trackedIds: o?.trackedIds ?? 0,
    windowShortened: o?.windowShortened ?? 0,
    pages: o?.pages ?? 0,
    eventsRead: o?.eventsRead ?? 0,
    cursorLocation: info.cursorLocation ?? 'none',
  }
}
