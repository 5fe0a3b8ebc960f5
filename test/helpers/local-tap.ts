// The real Tap (bluesky-social/indigo cmd/tap, built by scripts/setup-upstreams.sh into
// .cache/go/bin/tap) for integration tests, pointed at a local PDS + PLC
// (test/helpers/local-pds.ts). The PDS serves com.atproto.sync.subscribeRepos itself, so it
// stands in for the relay.
//
// Local-world facts (see the report in docs / the test):
// - by default Tap tracks nothing: POST /repos/add (addRepos) starts a backfill of each repo
//   from its PDS (events with live=false), then live commits follow (live=true).
//   `fullNetwork: true` instead enumerates the PDS with listRepos and auto-tracks new DIDs.
// - `*.test` handles cannot be verified offline (DNS TXT / https well-known), so identity
//   events carry `handle.invalid`; reserved TLDs (.local, .example, …) break DID resolution.
// - Tap reads a `.env` from its working directory (godotenv autoload): it runs in its temp dir.

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './free-port.ts'
import { createStopper } from './stop-child.ts'

const repoRoot = join(import.meta.dirname, '..', '..')

/** Where scripts/setup-upstreams.sh installs Tap (ATKAFKA_TAP_BIN overrides). */
function tapBinary(): string {
  return (
    process.env.ATKAFKA_TAP_BIN ??
    join(process.env.ATKAFKA_CACHE ?? join(repoRoot, '.cache'), 'go', 'bin', 'tap')
  )
}

export interface StartTapOptions {
  /** the upstream firehose host, http(s):// (a local PDS url works: its path is replaced) */
  relayUrl: string
  plcUrl: string
  /** HTTP Basic password (user `admin`) on every route, /health and /channel included */
  adminPassword?: string
  /** TAP_COLLECTION_FILTERS: NSIDs, `*` only as a suffix (`app.bsky.graph.*`) */
  collectionFilters?: string[]
  /** TAP_FULL_NETWORK: enumerate the relay (listRepos) and auto-track every DID seen */
  fullNetwork?: boolean
  /** TAP_NO_REPLAY: ignore a saved cursor (incompatible with fullNetwork) */
  noReplay?: boolean
  /** TAP_DISABLE_ACKS: fire-and-forget delivery */
  disableAcks?: boolean
  /** TAP_RETRY_TIMEOUT, a Go duration (`5s`); Tap's default is 60s */
  retryTimeout?: string
  /** TAP_LOG_LEVEL (default info); logs are kept for failure messages */
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  /** extra environment (TAP_* settings not covered above) */
  env?: Record<string, string>
  /** reuse this data dir (tap.db) instead of a fresh temp dir; it is then not removed on stop */
  dataDir?: string
  /** give up waiting for /health after this long (default 30 s) */
  timeoutMs?: number
  /** echo Tap's logs to stderr (also with ATKAFKA_TEST_UPSTREAM_LOGS=1) */
  echoLogs?: boolean
}

interface TapRepoInfo {
  did: string
  handle: string
  state: string
  rev: string
  error: string
  retries: number
  records: number
}

export interface RunningTap extends AsyncDisposable {
  /** http://127.0.0.1:<port> */
  url: string
  /** ws://127.0.0.1:<port>/channel */
  channelUrl: string
  /** headers to send on every request (Basic auth when adminPassword was set) */
  headers: Record<string, string>
  dataDir: string
  pid: number
  /** ms from spawn to a healthy /health */
  startMs: number
  /** POST /repos/add: track these repos (backfill, then live) */
  addRepos(dids: string[]): Promise<void>
  /** POST /repos/remove */
  removeRepos(dids: string[]): Promise<void>
  /** GET /info/:did (sync state of one repo) */
  info(did: string): Promise<TapRepoInfo>
  /** GET a JSON route (`/stats/outbox-buffer`, …) */
  getJson<T = unknown>(path: string): Promise<T>
  /** last lines of Tap's log (JSON lines) */
  logs(): string
  /** stop Tap (SIGTERM, then SIGKILL after 10 s) and remove its temp dir; idempotent */
  stop(): Promise<void>
}

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export async function startTap(opts: StartTapOptions): Promise<RunningTap> {
  const bin = tapBinary()
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`bash scripts/setup-upstreams.sh\` first`)
  const ownDir = opts.dataDir === undefined
  if (ownDir) await sweepStaleDataDirs()
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), `atkafka-tap-${process.pid}-`)))
  try {
    // a port chosen free can be taken before Tap binds it: then Tap exits and we retry
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch(bin, opts, dataDir, ownDir, await freePort())
      } catch (err) {
        if (!(err instanceof BindError) || attempt >= 5) throw err
      }
    }
  } catch (err) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true })
    throw err
  }
}

class BindError extends Error {}

/** Removes the temp dirs of Tap runs whose test process was killed outright (SIGKILL). */
async function sweepStaleDataDirs(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[])
  for (const name of entries) {
    const pid = Number(/^atkafka-tap-(\d+)-/.exec(name)?.[1])
    if (!pid || pid === process.pid || isAlive(pid)) continue
    await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => {})
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function launch(
  bin: string,
  opts: StartTapOptions,
  dataDir: string,
  ownDir: boolean,
  port: number,
): Promise<RunningTap> {
  const t0 = performance.now()
  const env: Record<string, string | undefined> = {}
  // settings from the caller's environment must not leak into the test world
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TAP_|RELAY_IDENT_CACHE_SIZE$|ATP_PLC_HOST$|LOG_LEVEL$)/.test(k)) env[k] = v
  }
  Object.assign(env, {
    TAP_RELAY_URL: opts.relayUrl,
    TAP_PLC_URL: opts.plcUrl,
    TAP_BIND: `127.0.0.1:${port}`,
    TAP_DATABASE_URL: `sqlite://${join(dataDir, 'tap.db')}`,
    TAP_LOG_LEVEL: opts.logLevel ?? 'info',
    // the default (2M entries) is sized for the whole network
    RELAY_IDENT_CACHE_SIZE: '10000',
  })
  if (opts.adminPassword) env.TAP_ADMIN_PASSWORD = opts.adminPassword
  if (opts.collectionFilters?.length) env.TAP_COLLECTION_FILTERS = opts.collectionFilters.join(',')
  if (opts.fullNetwork) env.TAP_FULL_NETWORK = 'true'
  if (opts.noReplay) env.TAP_NO_REPLAY = 'true'
  if (opts.disableAcks) env.TAP_DISABLE_ACKS = 'true'
  if (opts.retryTimeout) env.TAP_RETRY_TIMEOUT = opts.retryTimeout
  Object.assign(env, opts.env)

  // setpriv --pdeathsig: Tap gets SIGTERM when the test process dies, even by SIGKILL
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))
  const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', bin, 'run']] : [bin, ['run']]
  const child = spawn(cmd, args, { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const echo = opts.echoLogs || process.env.ATKAFKA_TEST_UPSTREAM_LOGS === '1'
  let logTail = ''
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      logTail = (logTail + chunk).slice(-32_768)
      if (echo) process.stderr.write(chunk)
    })
  }
  let exitInfo: string | undefined
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = `code ${code}, signal ${signal}`
      children.delete(child)
      resolve()
    }),
  )
  child.once('error', (err) => {
    exitInfo = String(err)
  })

  const url = `http://127.0.0.1:${port}`
  const headers: Record<string, string> = opts.adminPassword
    ? { authorization: `Basic ${Buffer.from(`admin:${opts.adminPassword}`).toString('base64')}` }
    : {}

  const timeoutMs = opts.timeoutMs ?? 30_000
  for (;;) {
    if (exitInfo !== undefined) {
      await exited
      const msg = `tap exited before it was healthy (${exitInfo})\n--- tap log ---\n${logTail}`
      throw /address already in use/.test(logTail) ? new BindError(msg) : new Error(msg)
    }
    try {
      const res = await fetch(`${url}/health`, { headers, signal: AbortSignal.timeout(1000) })
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > timeoutMs) {
      child.kill('SIGKILL')
      await exited
      throw new Error(`tap: /health not ok after ${timeoutMs} ms\n--- tap log ---\n${logTail}`)
    }
    await sleep(50)
  }
  const startMs = Math.round(performance.now() - t0)
  child.unref()
  ;(child.stdout as unknown as { unref(): void }).unref()
  ;(child.stderr as unknown as { unref(): void }).unref()

  async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`tap ${method} ${path} -> HTTP ${res.status}: ${text}`)
    return text
  }

  const stop = createStopper(child, exited, async () => {
    if (ownDir) await rm(dataDir, { recursive: true, force: true })
  })

  return {
    url,
    channelUrl: `ws://127.0.0.1:${port}/channel`,
    headers,
    dataDir,
    pid: child.pid!,
    startMs,
    addRepos: async (dids) => {
      await request('POST', '/repos/add', { dids })
    },
    removeRepos: async (dids) => {
      await request('POST', '/repos/remove', { dids })
    },
    info: async (did) => JSON.parse(await request('GET', `/info/${did}`)) as TapRepoInfo,
    getJson: async <T>(path: string) => JSON.parse(await request('GET', path)) as T,
    logs: () => logTail,
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
