// The identity client on its own thread: HTTP, TLS, JSON parsing and document validation of
// every cache miss (a re-resolution after #identity, a cold cache after a restart) stay off
// the main thread, which only posts the DID and receives the answer. Requests are
// { id, op, key } (key: a DID, or a handle for op 'handle'); { id, cancel: true } aborts one (its deadline passed on the main thread).
// Its first message, { ready: true }, says its modules are loaded: until then the main thread
// does not start the lookups' deadlines (worker-identity-client.ts).
import { parentPort, workerData } from 'node:worker_threads'
import { createIdentityClient, type IdentityClientOptions } from './identity-client.ts'
import { LookupError } from './lookup-error.ts'

export type WorkerOp = 'did' | 'audit' | 'profile' | 'handle'
export type WorkerRequest = { id: number; op: WorkerOp; key: string } | { id: number; cancel: true }
export type WorkerAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; reason: LookupError['reason']; message: string }
/** what the worker posts once, before any answer */
export interface WorkerReady {
  readonly ready: true
}

if (parentPort) {
  const port = parentPort
  const client = createIdentityClient(workerData as IdentityClientOptions)
  const running = new Map<number, AbortController>()
  const call = {
    did: client.resolveDid,
    audit: client.didCreation,
    profile: client.profile,
    handle: client.resolveHandle,
  }
  // the static imports above have loaded: requests are answered from here on
  port.postMessage({ ready: true } satisfies WorkerReady)
  port.on('message', (request: WorkerRequest) => {
    if ('cancel' in request) {
      running.get(request.id)?.abort()
      return
    }
    const { id, op, key } = request
    const controller = new AbortController()
    running.set(id, controller)
    call[op](key, controller.signal)
      .then(
        (value) => port.postMessage({ id, ok: true, value } satisfies WorkerAnswer),
        (err: unknown) => {
          // the answer to a failed lookup: its reason and message cross the thread boundary
          const reason = err instanceof LookupError ? err.reason : 'error'
          const message = err instanceof Error ? err.message : String(err)
          port.postMessage({ id, ok: false, reason, message } satisfies WorkerAnswer)
        },
      )
      .finally(() => running.delete(id))
  })
}
