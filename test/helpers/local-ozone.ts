// A real Ozone (test/upstreams/ozone/ozone-server.mjs, installed by scripts/setup-upstreams.sh)
// for integration tests: spawned next to a local PLC + PDS and a throwaway Postgres, it waits
// for the JSON ready line. The labeler DID is created on the PLC at the first start; stop()
// and start() bring the same labeler back on the same port and database (a real restart).
// The child dies with the test process (test/helpers/upstream-child.ts).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startUpstream, type UpstreamChild } from './upstream-child.ts'

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

export async function startLocalOzone(opts: StartLocalOzoneOptions): Promise<LocalOzone> {
  if (!existsSync(join(ozoneDir, 'node_modules', '@atproto', 'ozone'))) {
    throw new Error(`${ozoneDir}/node_modules is missing: run \`bash scripts/setup-upstreams.sh\` first`)
  }
  let identity: { port: number; serverDid: string; signingKeyHex: string } | undefined
  let current: UpstreamChild<ReadyLine> | undefined
  const stderr = { text: '' }

  const launch = async () => {
    const args = [serverScript, '--plc-url', opts.plcUrl, '--db-url', opts.dbUrl]
    if (opts.dbSchema) args.push('--db-schema', opts.dbSchema)
    for (const did of opts.moderatorDids ?? []) args.push('--moderator-did', did)
    for (const did of opts.adminDids ?? []) args.push('--admin-did', did)
    for (const did of opts.triageDids ?? []) args.push('--triage-did', did)
    const port = identity?.port ?? opts.port
    if (port) args.push('--port', String(port))
    if (identity) args.push('--server-did', identity.serverDid, '--signing-key-hex', identity.signingKeyHex)
    const started = await startUpstream<ReadyLine>({
      name: 'ozone-server',
      args,
      cwd: ozoneDir,
      timeoutMs: opts.timeoutMs,
      echoLogs: opts.echoLogs,
      stderr,
    })
    const { ready } = started
    identity = { port: ready.port, serverDid: ready.serverDid, signingKeyHex: ready.signingKeyHex }
    current = started
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
    logs: () => stderr.text,
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
