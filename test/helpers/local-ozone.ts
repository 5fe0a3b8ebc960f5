// A real Ozone (test/upstreams/ozone/ozone-server.mjs, installed by scripts/setup-upstreams.sh)
// for integration tests: spawned next to a local PLC + PDS and a throwaway Postgres, it waits
// for the JSON ready line. The labeler DID is created on the PLC at the first start; stop()
// and start() bring the same labeler back on the same port and database (a real restart).
// The child dies with the test process: it stops when its stdin (a pipe held by us) closes,
// and polls its parent pid as well.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createStopper } from './stop-child.ts'

const ozoneDir = join(import.meta.dirname, '..', 'upstreams', 'ozone')
const serverScript = join(ozoneDir, 'ozone-server.mjs')

export interface StartLocalOzoneOptions {
  plcUrl: string
  /** a Postgres URL (a database of its own, or a schema below) */
  dbUrl: string
  dbSchema?: string
  moderatorDids?: string[]
  adminDids?: string[]
  triageDids?: string[]
  port?: number
  timeoutMs?: number
  echoLogs?: boolean
}

export interface LocalOzone extends AsyncDisposable {
  /** http://localhost:<port>: the endpoint of the labeler's #atproto_labeler service */
  readonly url: string
  readonly port: number
  /** the labeler DID (did:plc on the local PLC) */
  readonly serverDid: string
  /** the Ozone admin password (HTTP Basic `admin:<password>` straight at Ozone) */
  readonly adminPassword: string
  /** pid of the running server, undefined while stopped */
  readonly pid: number | undefined
  readonly running: boolean
  /** last lines the server wrote on stderr */
  logs(): string
  /** SIGTERM (SIGKILL with `kill`), wait until it is gone */
  stop(opts?: { kill?: boolean }): Promise<void>
  /** start it again: same labeler DID, key, port and database */
  start(): Promise<void>
  /** SIGSTOP / SIGCONT: a server that accepts connections and answers nothing */
  freeze(): void
  thaw(): void
}

interface ReadyLine {
  ready: true
  url: string
  port: number
  serverDid: string
  signingKeyHex: string
  adminPassword: string
  pid: number
}

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export async function startLocalOzone(opts: StartLocalOzoneOptions): Promise<LocalOzone> {
  if (!existsSync(join(ozoneDir, 'node_modules', '@atproto', 'ozone'))) {
    throw new Error(`${ozoneDir}/node_modules is missing: run \`bash scripts/setup-upstreams.sh\` first`)
  }
  let identity: { port: number; serverDid: string; signingKeyHex: string } | undefined
  let current: { child: ChildProcess; stop: () => Promise<void>; ready: ReadyLine } | undefined
  let stderrTail = ''

  const launch = async () => {
    const args = [serverScript, '--plc-url', opts.plcUrl, '--db-url', opts.dbUrl]
    if (opts.dbSchema) args.push('--db-schema', opts.dbSchema)
    for (const did of opts.moderatorDids ?? []) args.push('--moderator-did', did)
    for (const did of opts.adminDids ?? []) args.push('--admin-did', did)
    for (const did of opts.triageDids ?? []) args.push('--triage-did', did)
    const port = identity?.port ?? opts.port
    if (port) args.push('--port', String(port))
    if (identity) args.push('--server-did', identity.serverDid, '--signing-key-hex', identity.signingKeyHex)
    const child = spawn(process.execPath, args, { cwd: ozoneDir, stdio: ['pipe', 'pipe', 'pipe'] })
    children.add(child)
    const echo = opts.echoLogs || process.env.ATKAFKA_TEST_UPSTREAM_LOGS === '1'
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-16_384)
      if (echo) process.stderr.write(chunk)
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.once('exit', () => children.delete(child))
    let ready: ReadyLine
    try {
      ready = await new Promise<ReadyLine>((resolve, reject) => {
        let buffered = ''
        const timeoutMs = opts.timeoutMs ?? 60_000
        const timer = setTimeout(
          () => reject(new Error(`ozone-server: no ready line after ${timeoutMs} ms`)),
          timeoutMs,
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
              }
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
          reject(new Error(`ozone-server exited before it was ready (code ${code}, signal ${signal})`))
        })
      })
    } catch (err) {
      child.kill('SIGKILL')
      await exited
      throw new Error(`${(err as Error).message}\n--- ozone-server stderr ---\n${stderrTail}`)
    }
    child.unref()
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
    }
    identity = { port: ready.port, serverDid: ready.serverDid, signingKeyHex: ready.signingKeyHex }
    current = { child, stop: createStopper(child, exited), ready }
  }

  await launch()
  const first = current!.ready
  const stop = async (stopOpts: { kill?: boolean } = {}) => {
    const running = current
    if (!running) return
    current = undefined
    if (stopOpts.kill) running.child.kill('SIGKILL')
    await running.stop()
  }
  return {
    url: first.url,
    port: first.port,
    serverDid: first.serverDid,
    adminPassword: first.adminPassword,
    get pid() {
      return current?.child.pid
    },
    get running() {
      return current !== undefined
    },
    logs: () => stderrTail,
    stop,
    async start() {
      if (current) return
      await launch()
    },
    freeze: () => current?.child.kill('SIGSTOP'),
    thaw: () => current?.child.kill('SIGCONT'),
    [Symbol.asyncDispose]: async () => {
      current?.child.kill('SIGCONT')
      await stop()
    },
  }
}
