// What /status.json answers and the status page shows, and the fields of the periodic progress
// log line: pure functions of a metrics snapshot, what the app knows about itself, an older
// counter sample (for the rate) and the time.
import type { DropReason } from '../errors.ts'
import type { LogEntry } from '../logging/recent-log.ts'
import type { PipelineSnapshot } from '../pipeline/pipeline-metrics.ts'
import type { UpstreamSnapshot, UpstreamState } from '../pipeline/upstream-metrics.ts'
import type { ProducedStatus, SinkSnapshot } from '../sink/sink-metrics.ts'
import type { Role, RoleState } from '../standby/role.ts'
import { ratesBetween, type Sample } from './throughput.ts'

/** the counters and gauges the report is built from (the app's metrics snapshot has these and more) */
export type StatusSnapshot = PipelineSnapshot & UpstreamSnapshot & SinkSnapshot

/**
 * The running source's part of the report: its block (under the command's name, e.g. `relay`:
 * seqs and cursor; `tap`: acks) and its fields of the progress line. The source's catalog
 * entry builds it (src/sources/); the report only places it.
 */
export interface SourceStatus {
  readonly block: Readonly<Record<string, unknown>>
  readonly progress: Readonly<Record<string, unknown>>
}

/** What the app knows about its run, beside the metrics. */
export interface StatusInfo {
  readonly command: string
  /** the upstream URL without credentials */
  readonly upstreamUrl: string
  readonly bootstrapServers: readonly string[]
  readonly topic: string
  readonly producerReady: boolean
  readonly startedAtMs: number
  /** the source's block of the report, from the same snapshot */
  readonly source?: (snapshot: StatusSnapshot) => SourceStatus
  /** --standby: this instance's role in its writer group */
  readonly role?: Role & { readonly group: string }
}

export interface StatusReport {
  readonly command: string
  readonly generatedAt: string
  readonly uptimeSeconds: number
  readonly upstream: {
    readonly url: string
    /** standby: this instance is not the writer, so it does not read the upstream */
    readonly state: UpstreamState | 'standby'
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
  readonly dropped: Readonly<Record<DropReason, number>>
  readonly filtered: Readonly<Record<string, number>>
  readonly logs: {
    readonly counts: Readonly<Record<LogEntry['level'], number>>
    /** the last warn/error entries, newest first */
    readonly recent: readonly LogEntry[]
  }
  /** --standby: this instance's role (null without) */
  readonly role: RoleReport | null
  /** the source's block, under the command's name (relay, tap, ozone, …: see SourceStatus; typed where the source declares it) */
  // biome-ignore lint/suspicious/noExplicitAny: each source's block has its own shape
  readonly [source: string]: any
}

/** the source's fields of the progress line, kept beside the report (not in its JSON) */
const PROGRESS = new WeakMap<StatusReport, Readonly<Record<string, unknown>>>()

export interface StatusInput {
  readonly info: StatusInfo
  readonly snapshot: StatusSnapshot
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

export function sampleOf(snapshot: StatusSnapshot, atMs: number): Sample {
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
  const source = info.source?.(s)
  const rates = ratesBetween(older, sampleOf(s, nowMs))
  const eventMs = Date.parse(s.eventTime)
  const lagSeconds = Number.isFinite(eventMs) ? round(Math.max(0, (nowMs - eventMs) / 1000), 1) : null
  const report: StatusReport = {
    command: info.command,
    generatedAt: new Date(nowMs).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - info.startedAtMs) / 1000)),
    upstream: {
      url: displayUrl(info.upstreamUrl),
      state: info.role && info.role.state !== 'writer' ? 'standby' : s.upstreamState,
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
    ...(source ? { [info.command]: source.block } : {}),
    dropped: s.dropped,
    filtered: s.filtered,
    logs: {
      counts: input.logs?.counts ?? { warn: 0, error: 0, fatal: 0 },
      recent: [...(input.logs?.recent ?? [])].reverse(),
    },
    role: info.role ? roleReport(info.role) : null,
  }
  if (source) PROGRESS.set(report, source.progress)
  return report
}

/** --standby (null without): writer, standby, fenced (lost the role; the process exits), or joining the group */
interface RoleReport {
  readonly state: RoleState
  readonly since: string
  readonly group: string
  /** writer: the group generation at which it took the role */
  readonly generation: number | null
  /** when this instance last became the writer */
  readonly lastTakeover: { readonly at: string; readonly generation: number } | null
  /** fenced: why */
  readonly reason: string | null
}

function roleReport(role: NonNullable<StatusInfo['role']>): RoleReport {
  const iso = (ms: number) => new Date(ms).toISOString()
  return {
    state: role.state,
    since: iso(role.sinceMs),
    group: role.group,
    generation: role.generation,
    lastTakeover: role.lastTakeover
      ? { at: iso(role.lastTakeover.atMs), generation: role.lastTakeover.generation }
      : null,
    reason: role.reason,
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
    ...(report.role ? { role: report.role.state } : {}),
    ...PROGRESS.get(report),
  }
}
