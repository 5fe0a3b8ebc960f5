// The main thread's side of record-worker.ts: one worker for the process, started on first use;
// it keeps the process alive only while a batch is on it (idle, it is unref'd). A worker that
// dies fails what it held and is started again on the next batch.
import { Worker } from 'node:worker_threads'
import type { PackedRecords } from './record-prep.ts'
import type { PrepAnswer, PrepRequest } from './record-worker.ts'

const WORKER_URL = new URL(
  `./record-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
)

let worker: Worker | undefined
let next = 0
const waiting = new Map<
  number,
  { resolve: (a: { bytes: Buffer; ends: Uint32Array }) => void; reject: (e: Error) => void }
>()

function fail(err: Error): void {
  for (const w of waiting.values()) w.reject(err)
  waiting.clear()
  worker = undefined
}

function start(): Worker {
  const w = new Worker(WORKER_URL)
  w.on('message', (answer: PrepAnswer) => {
    const waiter = waiting.get(answer.id)
    waiting.delete(answer.id)
    if (waiting.size === 0) w.unref()
    if (!waiter) return
    if (answer.ok) {
      const { bytes, ends } = answer
      waiter.resolve({ bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), ends })
    } else waiter.reject(new Error(`record worker: ${answer.message}`))
  })
  w.on('error', (err) => fail(new Error(`record worker failed: ${err.message}`, { cause: err })))
  w.on('exit', (code) => fail(new Error(`record worker exited with code ${code}`)))
  return w
}

/** the records prepared (record-prep.ts); `packed` is transferred: the caller must not use it afterwards */
export function prepareOnWorker(packed: PackedRecords): Promise<{ bytes: Buffer; ends: Uint32Array }> {
  worker ??= start()
  const w = worker
  const id = next++
  return new Promise((resolve, reject) => {
    if (waiting.size === 0) w.ref()
    waiting.set(id, { resolve, reject })
    w.postMessage({ id, bytes: packed.bytes, ends: packed.ends } satisfies PrepRequest, [
      packed.bytes.buffer as ArrayBuffer,
      packed.ends.buffer as ArrayBuffer,
    ])
  })
}
