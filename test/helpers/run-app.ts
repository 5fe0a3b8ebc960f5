// Runs atkafka in-process against the real test broker, with its logs captured.
import { Writable } from 'node:stream'
import { type App, createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/cli/commands.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createRecentLog } from '../../src/logging/recent-log.ts'
import type { SourceCommand, SourceConfigOf } from '../../src/sources/catalog.ts'
import { brokerEnv } from './kafka.ts'

export interface RunningApp<K extends SourceCommand = SourceCommand> extends AsyncDisposable {
  readonly app: App
  readonly config: SourceConfigOf<K>
  /** parsed JSON log lines so far */
  readonly logs: Record<string, unknown>[]
  /** settles when run() ends */
  readonly done: Promise<void>
  /** abort (graceful stop) and wait for run() to end; rethrows its failure */
  stop(): Promise<void>
  /** GET a path on the metrics port */
  http(path: string): Promise<{ status: number; body: string }>
  /** current value of a metric series, e.g. metric('atkafka_dropped_events_total', {reason: 'cid_mismatch'}) */
  metric(name: string, labels?: Record<string, string>): Promise<number>
}

/**
 * Relay mode looks up eventMetadata by default (as the Go original) from plc.directory, which
 * tests cannot reach: a test turns it on by naming --event-metadata (or its variable).
 */
export function offlineRelayArgs(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): string[] {
  const named = args.some((a) => a === '--event-metadata' || a.startsWith('--event-metadata='))
  return named || env.ATKAFKA_EVENT_METADATA !== undefined ? [] : ['--event-metadata=false']
}

export async function startApp<K extends SourceCommand>(
  command: K,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningApp<K>> {
  const config = loadConfig(
    command,
    [
      '--bootstrap-servers',
      brokerEnv().bootstrap,
      '--metrics-address',
      '127.0.0.1:0',
      // tests share one broker: a cursor stored by an earlier test for a reused port must not
      // leak into another, so the relay keeps no cursor unless a test asks for a store
      ...(command === 'relay' && !args.some((a) => a.startsWith('--cursor-'))
        ? ['--cursor-store', 'none']
        : []),
      ...(command === 'relay' ? offlineRelayArgs(args, env) : []),
      ...args,
    ],
    env,
  )
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line))
      cb()
    },
  })
  const recentLog = createRecentLog()
  const logger = createLogger(process.env.ATKAFKA_TEST_LOG_LEVEL ?? 'info', sink, recentLog)
  const app = await createApp(command, config, { logger, recentLog })
  const controller = new AbortController()
  const done = app.run(controller.signal)
  done.catch(() => {})
  const stop = async () => {
    controller.abort()
    await done
  }
  const http = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${app.metricsPort}${path}`)
    return { status: res.status, body: await res.text() }
  }
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await app.metrics.registry.getSingleMetric(name)?.get()
    if (!m) throw new Error(`no metric ${name}`)
    const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val))
    return v?.value ?? 0
  }
  return { app, config, logs, done, stop, http, metric, [Symbol.asyncDispose]: () => stop().catch(() => {}) }
}

/** Polls until check() returns true or the timeout passes (then throws with the description). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
