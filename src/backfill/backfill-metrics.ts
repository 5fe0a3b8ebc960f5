// A worker's numbers: items ended by outcome and host, records produced, retries by reason,
// aborted transactions, and each PDS host's state (requests open, waiting, paused by Retry-After),
// on /metrics and as the worker's /status.json and progress line.
import * as promClient from 'prom-client'
import type { ItemOutcome, WorkerStats } from './backfill-worker.ts'
import { ITEM_FAILURES } from './fetch-repo.ts'
import type { HostLimits } from './host-limits.ts'

export interface BackfillMetrics extends WorkerStats {
  watchHosts(hosts: HostLimits): void
  report(): BackfillReport
}

interface BackfillReport {
  readonly uptimeSeconds: number
  readonly totals: {
    readonly done: number
    readonly skipped: number
    readonly failed: number
    readonly records: number
    readonly abortedTransactions: number
  }
  readonly recordsPerSecond: number
  readonly failed: Record<string, number>
  readonly retries: Record<string, number>
  readonly hosts: ReturnType<HostLimits['states']>
  /** the hosts again, as the status page's tables: host → requests open, waiting, seconds paused */
  readonly hostRequests: {
    readonly open: Record<string, number>
    readonly waiting: Record<string, number>
    readonly pausedSeconds: Record<string, number>
  }
}

export function createBackfillMetrics(registry: promClient.Registry): BackfillMetrics {
  const items = new promClient.Counter({
    name: 'atkafka_backfill_items_total',
    help: 'work items ended, by outcome (done, skipped: done before; else the failure reason)',
    labelNames: ['outcome'],
    registers: [registry],
  })
  // a closed set: every outcome is on /metrics at zero from the start
  for (const outcome of ['done', 'skipped', ...ITEM_FAILURES]) items.inc({ outcome }, 0)
  const records = new promClient.Counter({
    name: 'atkafka_backfill_records_total',
    help: 'records produced into repo transactions (an aborted transaction’s are counted too; read_committed consumers never see those)',
    registers: [registry],
  })
  const retries = new promClient.Counter({
    name: 'atkafka_backfill_retries_total',
    help: 'repos tried again after a transient failure, by reason',
    labelNames: ['reason'],
    registers: [registry],
  })
  const aborts = new promClient.Counter({
    name: 'atkafka_backfill_aborted_transactions_total',
    help: 'repo transactions that did not commit (a failure, a fence, a stop)',
    registers: [registry],
  })
  let hosts: HostLimits | undefined
  new promClient.Gauge({
    name: 'atkafka_backfill_host_requests',
    help: 'getRepo requests per PDS host: open, or waiting for a slot',
    labelNames: ['host', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const h of hosts?.states() ?? []) {
        this.set({ host: h.host, state: 'open' }, h.inFlight)
        this.set({ host: h.host, state: 'waiting' }, h.waiting)
      }
    },
  })
  new promClient.Gauge({
    name: 'atkafka_backfill_host_paused_seconds',
    help: 'seconds a PDS host asked us to wait (Retry-After) that are left',
    labelNames: ['host'],
    registers: [registry],
    collect() {
      this.reset()
      const now = Date.now()
      for (const h of hosts?.states() ?? [])
        if (h.blockedUntil > now) this.set({ host: h.host }, (h.blockedUntil - now) / 1000)
    },
  })
  const started = Date.now()
  const outcomes = new Map<string, number>()
  const retryCounts = new Map<string, number>()
  let produced = 0
  let aborted = 0
  /** [ms, records] samples of the last minute, for records/s */
  const samples: [number, number][] = []
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
  return {
    item(outcome: ItemOutcome) {
      items.inc({ outcome })
      bump(outcomes, outcome)
    },
    retry(reason) {
      retries.inc({ reason })
      bump(retryCounts, reason)
    },
    records(count) {
      records.inc(count)
      produced += count
      const now = Date.now()
      samples.push([now, produced])
      while (samples.length > 1 && samples[0]![0] < now - 60_000) samples.shift()
    },
    aborted() {
      aborts.inc()
      aborted++
    },
    watchHosts(h) {
      hosts = h
    },
    report() {
      const failed: Record<string, number> = {}
      let failedTotal = 0
      for (const [k, n] of outcomes) {
        if (k === 'done' || k === 'skipped') continue
        failed[k] = n
        failedTotal += n
      }
      const states = hosts?.states() ?? []
      const now = Date.now()
      const first = samples[0]
      const last = samples.at(-1)
      const seconds = first && last ? (last[0] - first[0]) / 1000 : 0
      return {
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        totals: {
          done: outcomes.get('done') ?? 0,
          skipped: outcomes.get('skipped') ?? 0,
          failed: failedTotal,
          records: produced,
          abortedTransactions: aborted,
        },
        recordsPerSecond: seconds > 0 ? Math.round((last![1] - first![1]) / seconds) : 0,
        failed,
        retries: Object.fromEntries(retryCounts),
        hosts: states,
        hostRequests: {
          open: Object.fromEntries(states.map((h) => [h.host, h.inFlight])),
          waiting: Object.fromEntries(states.filter((h) => h.waiting > 0).map((h) => [h.host, h.waiting])),
          pausedSeconds: Object.fromEntries(
            states
              .filter((h) => h.blockedUntil > now)
              .map((h) => [h.host, Math.ceil((h.blockedUntil - now) / 1000)]),
          ),
        },
      }
    },
  }
}
