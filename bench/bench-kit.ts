// What the end-to-end benchmarks share: a throwaway broker, the atkafka process (started with the
// V8 flags it ships with, stopped), its CPU and peak RSS from /proc, a metric read from its
// /metrics, and medians.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseEnv } from 'node:util'
import { shippedNodeFlags } from '../scripts/shipped-node-flags.ts'

const root = join(import.meta.dirname, '..')
/**
 * the trees whose dist/ is benchmarked: this one, or ATKAFKA_BENCH_ROOTS (comma-separated
 * checkouts: each run then goes through them in turn on the same broker, for before/after
 * comparisons on a busy machine; results are printed per tree)
 */
export const benchRoots: readonly string[] = (process.env.ATKAFKA_BENCH_ROOTS ?? root)
  .split(',')
  .filter(Boolean)
/** " [tree]" after a run's number when several trees are compared */
export const rootLabel = (tree: string) => (benchRoots.length > 1 ? ` [${tree}]` : '')
const broker = join(root, 'scripts/kafka-broker.sh')
const CLOCK_TICKS = 100 // USER_HZ on Linux

/** the V8 flags bin/atkafka.js and the Docker image run with, unless ATKAFKA_BENCH_NODE_FLAGS says otherwise */
export const benchNodeFlags = process.env.ATKAFKA_BENCH_NODE_FLAGS ?? shippedNodeFlags.join(' ')

export function startBenchBroker(): { work: string; env: Record<string, string | undefined> } {
  const work = mkdtempSync(join(tmpdir(), 'atkafka-bench-broker-'))
  execFileSync('bash', [broker, 'start', work, String(process.pid)], { stdio: 'inherit' })
  return { work, env: parseEnv(readFileSync(join(work, 'env'), 'utf8')) }
}

export function stopBenchBroker(work: string): void {
  execFileSync('bash', [broker, 'stop', work, '--rm'], { stdio: 'inherit' })
}

/**
 * Starts the built atkafka CLI (dist/) with the bench V8 flags: `args`, then /metrics on a random
 * loopback port and the log level, then `extra` (last, so that it can override either).
 */
export function spawnAtkafka(
  args: readonly string[],
  extra: readonly string[],
  options: { logLevel?: string; env?: NodeJS.ProcessEnv; root?: string } = {},
): { child: ChildProcess; port: number } {
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const child = spawn(
    process.execPath,
    [
      ...benchNodeFlags.split(' ').filter(Boolean),
      join(options.root ?? benchRoots[0]!, 'dist/cli/main.js'),
      ...args,
      '--metrics-address',
      `127.0.0.1:${port}`,
      '--log-level',
      options.logLevel ?? 'warn',
      ...extra,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: options.env },
  )
  return { child, port }
}

/** SIGTERM, and the process has exited */
export async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM')
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r))
}

/** the first line a stand-in server process prints (its address, as JSON) */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`child exited early with code ${code}`)))
  })
}

/**
 * Polls the atkafka process's /metrics until `cursorMetric` reaches `lastSeq`, measuring from the
 * first upstream seq it shows (startup and connecting are not counted). One scrape costs the
 * process ~2 ms of main thread (prom-client renders every series), so once the cursor moves the
 * polls are spaced by a quarter of the time left at the rate so far (20 ms to 1 s): a few dozen
 * scrapes per run, and the end is still seen within ~20 ms.
 */
export async function measureToCursor(
  child: ChildProcess,
  port: number,
  cursorMetric: string,
  lastSeq: number,
): Promise<{ done(items: number): RunStats }> {
  return measureUntil(child, port, {
    started: (lines) => seriesValue(lines, 'atkafka_upstream_seq') > 0,
    // exactly-once: done when the last transaction (events + cursor) is committed
    progress: (lines) => seriesValue(lines, cursorMetric),
    finished: (_, cursor) => cursor >= lastSeq,
    end: lastSeq,
  })
}

/**
 * Polls the child's /metrics, one scrape per poll spaced by `nextPoll`, measuring from the
 * first scrape where `started` holds until `finished` does; `progress` (rising to `end`) paces
 * the polls.
 */
export async function measureUntil(
  child: ChildProcess,
  port: number,
  until: {
    started(lines: string[]): boolean
    progress(lines: string[]): number
    finished(lines: string[], progress: number): boolean
    end: number
  },
): Promise<{ done(items: number): RunStats }> {
  let measuring: ReturnType<typeof startMeasuring> | undefined
  let first: { at: number; cursor: number } | undefined
  let wait = 20
  for (;;) {
    await new Promise((r) => setTimeout(r, wait))
    const lines = await metricLines(port).catch(() => [])
    if (!measuring && until.started(lines)) measuring = startMeasuring(child.pid!)
    const progress = until.progress(lines)
    if (until.finished(lines, progress)) break
    if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
    wait = nextPoll(first, progress, until.end)
    if (measuring && !first && progress > 0) first = { at: performance.now(), cursor: progress }
  }
  if (!measuring) throw new Error('no progress seen before the end')
  return measuring
}

/** ms to the next poll: a quarter of the time left at the rate since `first` (20 ms to 1 s) */
export function nextPoll(
  first: { at: number; cursor: number } | undefined,
  now: number,
  end: number,
): number {
  if (!first || !(now > first.cursor)) return 20
  const rate = (now - first.cursor) / (performance.now() - first.at)
  return Math.max(20, Math.min(1000, (end - now) / rate / 4))
}

/**
 * CPU seconds of the whole process and of its main thread (where the pipeline runs), and its
 * peak RSS. Main-thread CPU per op hardly changes when other jobs share the cores, so ops per
 * main-thread CPU second is the figure to compare between runs on a busy machine.
 */
export function procStats(pid: number): { cpuSeconds: number; mainCpuSeconds: number; rssPeakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return {
    cpuSeconds: statCpu(`/proc/${pid}/stat`),
    mainCpuSeconds: statCpu(`/proc/${pid}/task/${pid}/stat`),
    rssPeakMb: hwm / 1024,
  }
}

export interface RunStats {
  readonly seconds: number
  /** items (ops, records) per second of wall time */
  readonly perSec: number
  /** process CPU as a percentage of one core */
  readonly cpuPct: number
  /** items per second of main-thread CPU */
  readonly perMainCpuSec: number
  readonly rssPeakMb: number
}

/** Starts measuring process `pid` now; done(items) gives the rates since then and its peak RSS. */
export function startMeasuring(pid: number): { done(items: number): RunStats } {
  const started = performance.now()
  const at = procStats(pid)
  return {
    done(items) {
      const seconds = (performance.now() - started) / 1000
      const now = procStats(pid)
      return {
        seconds,
        perSec: Math.round(items / seconds),
        cpuPct: Math.round(((now.cpuSeconds - at.cpuSeconds) / seconds) * 100),
        perMainCpuSec: Math.round(items / (now.mainCpuSeconds - at.mainCpuSeconds)),
        rssPeakMb: Math.round(now.rssPeakMb),
      }
    },
  }
}

/** CPU seconds the bench broker (its JVM, all threads) has used so far */
export function brokerCpuSeconds(work: string): number {
  const pid = readFileSync(join(work, 'kafka.pid'), 'utf8').trim()
  return statCpu(`/proc/${pid}/stat`)
}

/** CPU seconds per thread name (main, V8 workers, libuv pool), from /proc */
export function threadCpu(pid: number): string {
  const byName = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const path = `/proc/${pid}/task/${tid}/stat`
    const stat = readFileSync(path, 'utf8')
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    byName.set(name, (byName.get(name) ?? 0) + statCpu(path))
  }
  return [...byName].map(([n, c]) => `${n}=${c.toFixed(2)}s`).join(' ')
}

function statCpu(path: string): number {
  const stat = readFileSync(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** the atkafka process's /metrics, one line per series */
export async function metricLines(port: number): Promise<string[]> {
  return (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n')
}

/** one series of the atkafka process's /metrics; labels as written there, e.g. 'status="ok"' */
export async function metric(port: number, name: string, labels = ''): Promise<number> {
  return seriesValue(await metricLines(port), name, labels)
}

/** one series of a /metrics scrape (NaN when absent) */
export function seriesValue(lines: readonly string[], name: string, labels = ''): number {
  const prefix = labels ? `${name}{${labels}} ` : `${name} `
  const line = lines.find((l) => l.startsWith(prefix))
  return line ? Number(line.split(' ').pop()) : Number.NaN
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/** the median of each rate over several runs */
export function medians(rs: readonly RunStats[]): Omit<RunStats, 'seconds'> {
  return {
    perSec: median(rs.map((r) => r.perSec)),
    cpuPct: median(rs.map((r) => r.cpuPct)),
    perMainCpuSec: median(rs.map((r) => r.perMainCpuSec)),
    rssPeakMb: median(rs.map((r) => r.rssPeakMb)),
  }
}
