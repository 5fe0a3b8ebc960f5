// The timers behind the status page and the progress line: a counter sample every second (the
// page's rate is over the last few seconds), and every --progress-interval-ms one info line
// "progress" with the rate since the previous line. The reports are built by status-report.ts;
// the page's routes are served by the ops server (src/metrics/http-server.ts).
import type { Logger } from 'pino'
import type { RecentLog } from '../logging/recent-log.ts'
import type { Route } from '../metrics/http-server.ts'
import { STATUS_PAGE_JS } from './status-page.ts'
import {
  buildStatusReport,
  progressFields,
  type StatusInfo,
  type StatusReport,
  type StatusSnapshot,
  sampleOf,
} from './status-report.ts'
import { addSample, type Sample } from './throughput.ts'

/** the status page's rate is measured over this span */
const RATE_SPAN_MS = 5000
const SAMPLE_EVERY_MS = 1000

export interface StatusService {
  report(): StatusReport
  /** ends the timers (idempotent) */
  stop(): void
}

export function startStatusService(deps: {
  readonly metrics: { snapshot(): StatusSnapshot }
  readonly info: () => StatusInfo
  readonly recentLog?: RecentLog
  readonly logger: Logger
  /** 0: no progress line */
  readonly progressIntervalMs: number
  readonly now?: () => number
}): StatusService {
  const { metrics, logger } = deps
  const now = deps.now ?? Date.now
  let samples: Sample[] = []
  const take = () => sampleOf(metrics.snapshot(), now())
  samples = addSample(samples, take(), RATE_SPAN_MS)
  const sampler = setInterval(() => {
    samples = addSample(samples, take(), RATE_SPAN_MS)
  }, SAMPLE_EVERY_MS)
  sampler.unref()

  const build = (older: Sample | undefined, snapshot = metrics.snapshot(), nowMs = now()) =>
    buildStatusReport({
      info: deps.info(),
      snapshot,
      older,
      nowMs,
      logs: deps.recentLog
        ? { counts: deps.recentLog.counts(), recent: deps.recentLog.entries() }
        : undefined,
    })

  let progress: NodeJS.Timeout | undefined
  if (deps.progressIntervalMs > 0) {
    let previous = take()
    progress = setInterval(() => {
      const snapshot = metrics.snapshot()
      const nowMs = now()
      logger.info(progressFields(build(previous, snapshot, nowMs)), 'progress')
      previous = sampleOf(snapshot, nowMs)
    }, deps.progressIntervalMs)
    progress.unref()
  }

  return {
    report: () => build(samples[0]),
    stop() {
      clearInterval(sampler)
      clearInterval(progress)
    },
  }
}

// the page loads nothing but its own script and JSON
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
}

/** the status page's routes on the ops server: the page (status-page.ts, or a backfill worker's backfill-page.ts), its script, and the report it polls */
export function statusRoutes(report: () => object, page: string): Record<string, Route> {
  return {
    '/': {
      headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' },
      body: () => page,
    },
    '/status.js': {
      headers: { ...PAGE_HEADERS, 'content-type': 'text/javascript; charset=utf-8' },
      body: () => STATUS_PAGE_JS,
    },
    '/status.json': {
      headers: { ...PAGE_HEADERS, 'content-type': 'application/json' },
      body: () => `${JSON.stringify(report(), null, 2)}\n`,
    },
  }
}
