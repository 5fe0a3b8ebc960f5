// A real local PLC + PDS for integration tests: spawns test/upstreams/pds/pds-server.mjs
// (installed by scripts/setup-upstreams.sh) and waits for its JSON ready line
// (test/helpers/upstream-child.ts: the child dies with the test process).

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startUpstream } from './upstream-child.ts'

const pdsDir = join(import.meta.dirname, '..', 'upstreams', 'pds')
const serverScript = join(pdsDir, 'pds-server.mjs')
const keepStatementsPreload = join(pdsDir, 'keep-statements.mjs')
const tokenTtlPreload = join(pdsDir, 'token-ttl.mjs')

/** a PDS started next to the first one, on the same PLC, under another host name */
interface ExtraPds {
  /** http://127.0.0.K:<port> */
  pdsUrl: string
  firehoseUrl: string
  /** the host name in its accounts' DID documents (127.0.0.K) */
  host: string
  /** `.pdsK.test` */
  handleDomain: string
}

export interface LocalPds extends AsyncDisposable {
  /** http://localhost:<port> */
  pdsUrl: string
  /** http://localhost:<port> of the PLC directory the PDS registers its DIDs with */
  plcUrl: string
  /** ws://localhost:<port>/xrpc/com.atproto.sync.subscribeRepos */
  firehoseUrl: string
  /** password of the PDS admin (HTTP Basic, user `admin`) */
  adminPassword: string
  /** handle domain served by this PDS (`.test`): create accounts as `<name>.test` */
  handleDomain: string
  /** the PDSes asked for with `extraPds`, on the same PLC (their DID documents name other hosts) */
  extra: ExtraPds[]
  pid: number
  /** ms from spawn to the ready line */
  startMs: number
  /** last lines the server wrote on stderr (for failure messages) */
  logs(): string
  /** stop the (first) PDS: its port closes, the PLC stays up; resolves once it is down */
  pause(): Promise<void>
  /** start it again on the same port, data and secrets; resolves once it listens */
  resume(): Promise<void>
  /** stop the servers and remove their data; idempotent */
  stop(): Promise<void>
}

export interface StartLocalPdsOptions {
  /** 0 or absent: a free port */
  pdsPort?: number
  plcPort?: number
  /** give up waiting for the ready line after this long (default 60 s) */
  timeoutMs?: number
  /** more PDSes on the same PLC, each under its own loopback host name (default 0) */
  extraPds?: number
  /**
   * keep every prepared SQLite statement alive (default true): works around better-sqlite3 12
   * on Node 24 crashing the PDS when V8 finalizes a collected Statement (see keep-statements.mjs)
   */
  keepStatements?: boolean
  /**
   * lifetimes of the sessions the PDS issues, as jose durations ('6s', '2m'); default 120 min
   * for access and 90 days for refresh tokens, as the real PDS (see token-ttl.mjs)
   */
  accessTokenTtl?: string
  refreshTokenTtl?: string
  /** echo the server's stderr (also with ATKAFKA_TEST_UPSTREAM_LOGS=1); PDS logs need LOG_ENABLED=true */
  echoLogs?: boolean
}

interface ReadyLine {
  ready: true
  pdsUrl: string
  plcUrl: string
  firehoseUrl: string
  adminPassword: string
  handleDomain: string
  extraPds?: ExtraPds[]
  pid: number
}

export async function startLocalPds(opts: StartLocalPdsOptions = {}): Promise<LocalPds> {
  if (!existsSync(join(pdsDir, 'node_modules', '@atproto', 'pds'))) {
    throw new Error(`${pdsDir}/node_modules is missing: run \`bash scripts/setup-upstreams.sh\` first`)
  }
  const t0 = performance.now()
  const args = [serverScript]
  if (opts.pdsPort) args.push('--pds-port', String(opts.pdsPort))
  if (opts.plcPort) args.push('--plc-port', String(opts.plcPort))
  if (opts.extraPds) args.push('--extra-pds', String(opts.extraPds))
  const env = { ...process.env }
  if (opts.keepStatements !== false) {
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--import=${keepStatementsPreload}`].filter(Boolean).join(' ')
  }
  if (opts.accessTokenTtl || opts.refreshTokenTtl) {
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--import=${tokenTtlPreload}`].filter(Boolean).join(' ')
    if (opts.accessTokenTtl) env.ATKAFKA_TEST_PDS_ACCESS_TTL = opts.accessTokenTtl
    if (opts.refreshTokenTtl) env.ATKAFKA_TEST_PDS_REFRESH_TTL = opts.refreshTokenTtl
  }
  // the JSON lines after the ready line answer pause() and resume()
  const lineWaiters: { key: string; resolve: () => void }[] = []
  const stderr = { text: '' }
  const { child, ready, stop } = await startUpstream<ReadyLine>({
    name: 'pds-server',
    args,
    cwd: pdsDir,
    env,
    timeoutMs: opts.timeoutMs,
    echoLogs: opts.echoLogs,
    stderr,
    onLine: (parsed) => {
      const i = lineWaiters.findIndex((w) => parsed[w.key] === true)
      if (i >= 0) lineWaiters.splice(i, 1)[0]?.resolve()
    },
  })
  const toggle = (signal: NodeJS.Signals, key: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pds-server: no ${key} line after 30 s`)), 30_000)
      lineWaiters.push({
        key,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
      child.kill(signal)
    })

  return {
    pause: () => toggle('SIGUSR1', 'paused'),
    resume: () => toggle('SIGUSR2', 'resumed'),
    pdsUrl: ready.pdsUrl,
    plcUrl: ready.plcUrl,
    firehoseUrl: ready.firehoseUrl,
    adminPassword: ready.adminPassword,
    handleDomain: ready.handleDomain,
    extra: ready.extraPds ?? [],
    pid: ready.pid,
    startMs: Math.round(performance.now() - t0),
    logs: () => stderr.text,
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
