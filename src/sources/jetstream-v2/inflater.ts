// The main thread's side of inflate-worker.ts: one worker, started on first use and unref'd
// (it never keeps the process alive); a worker that dies fails what it held and is started
// again on the next request.
import { isMarkedAsUntransferable, Worker } from 'node:worker_threads'
import type { PlanFilters } from './archive-client.ts'
import type { InflateAnswer, InflateRequest } from './inflate-worker.ts'
import { SegmentFormatError } from './segment-file.ts'

const WORKER_URL = new URL(
  `./inflate-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
)

export type Inflated = Extract<InflateAnswer, { ok: true }>

export interface Inflater {
  /** `bytes` is transferred to the worker: the caller must not use it afterwards */
  run(kind: InflateRequest['kind'], bytes: Uint8Array): Promise<Inflated>
  close(): Promise<void>
}

/** `filters`: the rows the source keeps (jetstream-filters.ts); only those have their records prepared */
export function createInflater(filters: PlanFilters = {}): Inflater {
  let worker: Worker | undefined
  let next = 0
  const waiting = new Map<number, { resolve: (a: Inflated) => void; reject: (e: Error) => void }>()
  const fail = (err: Error) => {
    for (const w of waiting.values()) w.reject(err)
    waiting.clear()
    worker = undefined
  }
  const start = () => {
    const w = new Worker(WORKER_URL, { workerData: { filters } })
    w.unref()
    w.on('message', (answer: InflateAnswer) => {
      const waiter = waiting.get(answer.id)
      waiting.delete(answer.id)
      if (!waiter) return
      if (answer.ok) waiter.resolve(answer)
      else waiter.reject(new SegmentFormatError(answer.message))
    })
    w.on('error', (err) => fail(new Error(`inflate worker failed: ${err.message}`, { cause: err })))
    w.on('exit', (code) => fail(new Error(`inflate worker exited with code ${code}`)))
    return w
  }
  return {
    run(kind, bytes) {
      worker ??= start()
      const id = next++
      const w = worker
      return new Promise<Inflated>((resolve, reject) => {
        waiting.set(id, { resolve, reject })
        // a view into a larger buffer, or Node's pooled memory, is copied out first
        const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        const own = whole && !isMarkedAsUntransferable(bytes.buffer) ? bytes : new Uint8Array(bytes)
        w.postMessage({ id, kind, bytes: own } satisfies InflateRequest, [own.buffer as ArrayBuffer])
      })
    },
    async close() {
      const w = worker
      worker = undefined
      await w?.terminate()
    },
  }
}
