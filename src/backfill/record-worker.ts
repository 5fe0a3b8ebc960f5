// The worker thread of record-prep.ts: takes packed record blocks (transferred), answers with
// their JSON, CIDs and createdAt (transferred). Requests: { id, bytes, ends }.
import { parentPort } from 'node:worker_threads'
import { type PackedRecords, prepareRecords } from './record-prep.ts'

export type PrepRequest = PackedRecords & { readonly id: number }
export type PrepAnswer =
  | (PackedRecords & { readonly id: number; readonly ok: true })
  | { id: number; ok: false; message: string }

if (parentPort) {
  const port = parentPort
  port.on('message', (request: PrepRequest) => {
    let answer: PrepAnswer
    try {
      answer = { id: request.id, ok: true, ...prepareRecords(request) }
    } catch (err) {
      answer = { id: request.id, ok: false, message: (err as Error).message }
    }
    port.postMessage(
      answer,
      answer.ok ? [answer.bytes.buffer as ArrayBuffer, answer.ends.buffer as ArrayBuffer] : [],
    )
  })
}
