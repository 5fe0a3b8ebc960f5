// The IdentityClient the service uses: each call is posted to the identity worker thread
// (identity-worker.ts) and answered from it. A deadline that passes here rejects at once with
// a timeout and cancels the request there. A worker that dies fails what it had in flight
// (counted as errors by the lookups) and is started again by the next call.
//
// The worker is started with the client, and whenReady() tells when it has loaded its modules
// (0.1-0.3 s, seconds on a loaded machine): the lookups start their deadlines only then, or
// every lookup of the first burst after a start would miss a short deadline while the worker
// was still loading (test/integration/identity.test.ts, "a lookup past its deadline").
import { Worker } from 'node:worker_threads'
import type { IdentityClient, IdentityClientOptions } from './identity-client.ts'
import type { WorkerAnswer, WorkerOp, WorkerReady, WorkerRequest } from './identity-worker.ts'
import { LookupError } from './lookup-error.ts'

// the worker runs from the same tree as this module: src/*.ts in development, dist/*.js built
const WORKER_URL = new URL(
  `./identity-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
)

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
}

export interface WorkerIdentityClient extends IdentityClient {
  /**
   * undefined while the worker can answer; else settles (never rejects) once it has loaded its
   * modules, or has failed or exited (then its calls fail on their own)
   */
  whenReady(): Promise<void> | undefined
  /** stops the worker; calls after it start a new one */
  close(): Promise<void>
}

export function createWorkerIdentityClient(
  options: Omit<IdentityClientOptions, 'fetch'>,
): WorkerIdentityClient {
  let worker: Worker | undefined
  /** the current worker's start-up; undefined once it is ready */
  let starting: Promise<void> | undefined
  const pending = new Map<number, Pending>()
  let nextId = 0
  let closed = false

  const failAll = (message: string) => {
    for (const p of pending.values()) p.reject(new LookupError('error', message))
    pending.clear()
  }

  const start = (): Worker => {
    const w = new Worker(WORKER_URL, { workerData: options satisfies Omit<IdentityClientOptions, 'fetch'> })
    // lookups in flight must not keep a stopping process alive
    w.unref()
    let ready!: () => void
    const started = new Promise<void>((resolve) => {
      ready = resolve
    })
    starting = started
    const settle = () => {
      if (starting === started) starting = undefined
      ready()
    }
    w.on('message', (answer: WorkerAnswer | WorkerReady) => {
      if ('ready' in answer) {
        settle()
        return
      }
      const p = pending.get(answer.id)
      if (!p) return // cancelled: its deadline already answered
      pending.delete(answer.id)
      if (answer.ok) p.resolve(answer.value)
      else p.reject(new LookupError(answer.reason, answer.message))
    })
    w.on('error', (err) => {
      if (worker === w) worker = undefined
      settle()
      failAll(`identity worker failed: ${err.message}`)
    })
    w.on('exit', (code) => {
      if (worker === w) worker = undefined
      settle()
      failAll(`identity worker exited with code ${code}`)
    })
    return w
  }
  // started now: it loads while the service connects to Kafka and its upstream
  worker = start()

  const call = <T>(op: WorkerOp, key: string, signal: AbortSignal): Promise<T> => {
    const deadlinePassed = () => new LookupError('timeout', `${op} ${key}: deadline passed`)
    if (signal.aborted) return Promise.reject(deadlinePassed())
    // a lookup asked for after close() (a late handle check, a retry) starts no new worker: one
    // started then would outlive the client and keep a stopping process alive
    if (closed) return Promise.reject(new LookupError('error', 'identity worker stopped'))
    worker ??= start()
    const w = worker
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (!pending.delete(id)) return
        w.postMessage({ id, cancel: true } satisfies WorkerRequest)
        reject(deadlinePassed())
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pending.set(id, {
        resolve: (value) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value as T)
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort)
          reject(err)
        },
      })
      w.postMessage({ id, op, key } satisfies WorkerRequest)
    })
  }

  return {
    whenReady: () => starting,
    resolveDid: (did, signal) => call('did', did, signal),
    didCreation: (did, signal) => call('audit', did, signal),
    profile: (did, signal) => call('profile', did, signal),
    resolveHandle: (handle, signal) => call('handle', handle, signal),
    async close() {
      closed = true
      const w = worker
      worker = undefined
      starting = undefined
      failAll('identity worker stopped')
      if (w) await w.terminate()
    },
  }
}
