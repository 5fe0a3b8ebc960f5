// The IdentityClient the service uses: each call is posted to the identity worker thread
// (identity-worker.ts) and answered from it. A deadline that passes here rejects at once with
// a timeout and cancels the request there. A worker that dies fails what it had in flight
// (counted as errors by the lookups) and is started again by the next call.
import { Worker } from 'node:worker_threads'
import { type IdentityClient, type IdentityClientOptions, LookupError } from './identity-client.ts'
import type { WorkerAnswer, WorkerOp, WorkerRequest } from './identity-worker.ts'

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
  /** stops the worker; calls after it start a new one */
  close(): Promise<void>
}

export function createWorkerIdentityClient(
  options: Omit<IdentityClientOptions, 'fetch'>,
): WorkerIdentityClient {
  let worker: Worker | undefined
  const pending = new Map<number, Pending>()
  let nextId = 0

  const failAll = (message: string) => {
    for (const p of pending.values()) p.reject(new LookupError('error', message))
    pending.clear()
  }

  const start = (): Worker => {
    const w = new Worker(WORKER_URL, { workerData: { plcHost: options.plcHost, apiHost: options.apiHost } })
    // lookups in flight must not keep a stopping process alive
    w.unref()
    w.on('message', (answer: WorkerAnswer) => {
      const p = pending.get(answer.id)
      if (!p) return // cancelled: its deadline already answered
      pending.delete(answer.id)
      if (answer.ok) p.resolve(answer.value)
      else p.reject(new LookupError(answer.reason, answer.message))
    })
    w.on('error', (err) => {
      if (worker === w) worker = undefined
      failAll(`identity worker failed: ${err.message}`)
    })
    w.on('exit', (code) => {
      if (worker === w) worker = undefined
      failAll(`identity worker exited with code ${code}`)
    })
    return w
  }

  const call = <T>(op: WorkerOp, did: string, signal: AbortSignal): Promise<T> => {
    const deadlinePassed = () => new LookupError('timeout', `${op} ${did}: deadline passed`)
    if (signal.aborted) return Promise.reject(deadlinePassed())
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
      w.postMessage({ id, op, did } satisfies WorkerRequest)
    })
  }

  return {
    resolveDid: (did, signal) => call('did', did, signal),
    didCreation: (did, signal) => call('audit', did, signal),
    profile: (did, signal) => call('profile', did, signal),
    async close() {
      const w = worker
      worker = undefined
      failAll('identity worker stopped')
      if (w) await w.terminate()
    },
  }
}
