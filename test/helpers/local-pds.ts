// A real local PLC + PDS for integration tests: spawns test/upstreams/pds/pds-server.mjs
// (installed by scripts/setup-upstreams.sh) and waits for its JSON ready line.
// The child dies with the test process: it stops when its stdin (a pipe held by us) closes,
// and polls its parent pid as well.

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createStopper } from './stop-child.ts'

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

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

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
  const child = spawn(process.execPath, args, { cwd: pdsDir, env, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  const echo = opts.echoLogs || process.env.ATKAFKA_TEST_UPSTREAM_LOGS === '1'
  let stderrTail = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-16_384)
    if (echo) process.stderr.write(chunk)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => children.delete(child))

  // the JSON lines after the ready line answer pause() and resume()
  const lineWaiters: { key: string; resolve: () => void }[] = []
  const onLine = (parsed: Record<string, unknown>) => {
    const i = lineWaiters.findIndex((w) => parsed[w.key] === true)
    if (i >= 0) lineWaiters.splice(i, 1)[0]?.resolve()
  }
  let ready: ReadyLine
  try {
    ready = await new Promise<ReadyLine>((resolve, reject) => {
      let buffered = ''
      const timer = setTimeout(
        () => reject(new Error(`pds-server: no ready line after ${opts.timeoutMs ?? 60_000} ms`)),
        opts.timeoutMs ?? 60_000,
      )
      child.stdout!.setEncoding('utf8')
      child.stdout!.on('data', (chunk: string) => {
        buffered += chunk
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl).trim()
          buffered = buffered.slice(nl + 1)
          if (!line.startsWith('{')) continue
          try {
            const parsed = JSON.parse(line) as Partial<ReadyLine>
            if (parsed.ready === true) {
              clearTimeout(timer)
              resolve(parsed as ReadyLine)
            } else onLine(parsed as Record<string, unknown>)
          } catch {
            // not the ready line
          }
        }
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`pds-server exited before it was ready (code ${code}, signal ${signal})`))
      })
    })
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    throw new Error(`${(err as Error).message}\n--- pds-server stderr ---\n${stderrTail}`)
  }

  // the child must not keep the test process alive; when it exits, the stdin pipe closes and
  // the server stops by itself
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
  }

  const stop = createStopper(child, exited)
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
    logs: () => stderrTail,
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
