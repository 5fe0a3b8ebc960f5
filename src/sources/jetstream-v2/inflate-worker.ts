// The archive's CPU-heavy, row-independent steps on their own thread: a downloaded segment's
// checksum (xxh3 over header and footer) and every block's zstd decompression (content
// checksum checked), or one getBlock frame's. The main thread posts the bytes (transferred,
// not copied) and gets the decompressed blocks back the same way; it then reads the rows.
// Requests: { id, kind: 'segment', bytes } | { id, kind: 'block', bytes }.
import { parentPort } from 'node:worker_threads'
import { inflateBlock } from './segment-block.ts'
import { segmentChecksum } from './segment-checksum.ts'
import {
  type BlockIndexEntry,
  blockFrame,
  readBlockIndex,
  readSegmentHeader,
  type SegmentHeader,
} from './segment-file.ts'

export type InflateRequest = { id: number; kind: 'segment' | 'block'; bytes: Uint8Array }
export type InflateAnswer =
  | {
      id: number
      ok: true
      /** segments only */
      header?: SegmentHeader
      /** segments only: what the bytes hash to */
      checksum?: string
      entries?: BlockIndexEntry[]
      /** decompressed blocks, in order */
      blocks: Uint8Array[]
    }
  | { id: number; ok: false; message: string }

async function inflate(request: InflateRequest): Promise<InflateAnswer> {
  const { id, bytes } = request
  try {
    if (request.kind === 'block') return { id, ok: true, blocks: [inflateBlock(bytes)] }
    const header = readSegmentHeader(bytes)
    const entries = readBlockIndex(bytes, header)
    const checksum = await segmentChecksum(bytes, header)
    const blocks = entries.map((e) => new Uint8Array(inflateBlock(blockFrame(bytes, e), e.uncompressedSize)))
    return { id, ok: true, header, checksum, entries, blocks }
  } catch (err) {
    return { id, ok: false, message: (err as Error).message }
  }
}

if (parentPort) {
  const port = parentPort
  port.on('message', async (request: InflateRequest) => {
    const answer = await inflate(request)
    port.postMessage(answer, answer.ok ? answer.blocks.map((b) => b.buffer as ArrayBuffer) : [])
  })
}
