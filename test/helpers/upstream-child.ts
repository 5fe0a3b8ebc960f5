// Starting a test upstream server (test/upstreams/*/…-server.mjs) as a child process and
// waiting for the JSON ready line it prints on stdout; other JSON lines go to `onLine`. Its
// stderr is kept (the last 16 KiB) for failure messages. The child dies with the test process:
// it is SIGKILLed when this process exits, it stops by itself when its stdin (a pipe held here)
// closes, and it polls its parent pid as well; it never keeps this process alive.
import { type ChildProcess, spawn } from 'node:child_process'
import { createStopper } from './stop-child.ts'

/** the last 16 KiB a server wrote on stderr; may span several starts of one server */
interface StderrTail {
  text: string
}

export interface StartUpstreamOptions {
  /** the server's name in messages (`pds-server`) */
  name: string
  /** the server script and its arguments */
  args: string[]
  /** its package folder (node_modules) */
  cwd: string
  env?: NodeJS.ProcessEnv
  /** give up waiting for the ready line after this long (default 60 s) */
  timeoutMs?: number
  /** echo the server's stderr (also with ATKAFKA_TEST_UPSTREAM_LOGS=1) */
  echoLogs?: boolean
  stderr: StderrTail
  /** the JSON lines that are not the ready line */
  onLine?: (parsed: Record<string, unknown>) => void
}

export interface UpstreamChild<Ready> {
  readonly child: ChildProcess
  readonly ready: Ready
  /** SIGTERM (SIGKILL after 10 s) and wait until it is gone; once however often it is called */
  readonly stop: () => Promise<void>
}

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export async function startUpstream<Ready extends { ready: true }>(
  opts: StartUpstreamOptions,
): Promise<UpstreamChild<Ready>> {
  const { name, stderr } = opts
  const child = spawn(process.execPath, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  children.add(child)
  const echo = opts.echoLogs || process.env.ATKAFKA_TEST_UPSTREAM_LOGS === '1'
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr.text = (stderr.text + chunk).slice(-16_384)
    if (echo) process.stderr.write(chunk)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => children.delete(child))
  let ready: Ready
  try {
    ready = await new Promise<Ready>((resolve, reject) => {
      let buffered = ''
      const timeoutMs = opts.timeoutMs ?? 60_000
      const timer = setTimeout(
        () => reject(new Error(`${name}: no ready line after ${timeoutMs} ms`)),
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
            const parsed = JSON.parse(line) as Record<string, unknown>
            if (parsed.ready === true) {
              clearTimeout(timer)
              resolve(parsed as Ready)
            } else opts.onLine?.(parsed)
          } catch {
            // not a JSON line
          }
        }
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`))
      })
    })
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    throw new Error(`${(err as Error).message}\n--- ${name} stderr ---\n${stderr.text}`)
  }
  // the child must not keep the test process alive; when it exits, the stdin pipe closes and
  // the server stops by itself
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
  }
  return { child, ready, stop: createStopper(child, exited) }
}
