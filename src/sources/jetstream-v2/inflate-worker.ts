// The archive's CPU-heavy, row-independent steps on their own thread: a downloaded segment's
// checksum (xxh3 over header and footer) and every block's zstd decompression (content
// checksum checked), or one getBlock frame's. The main thread posts the bytes (transferred,
// not copied) and gets the decompressed blocks back the same way; it then reads the rows.
// Each block's records are also prepared here (prepared-records.ts: decoded, hashed for their
// CIDs, written as JSON), so the main thread's share of a row is reading its columns.
// Requests: { id, kind: 'segment', bytes } | { id, kind: 'block', bytes }.
import { parentPort, workerData } from 'node:worker_threads'
import type { PlanFilters } from './archive-client.ts'
import { createRowFilter } from './jetstream-filters.ts'
import { type PreparedRecords, prepareRecords } from './prepared-records.ts'
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
      /** per block: its records, prepared */
      prepared: PreparedRecords[]
    }
  | { id: number; ok: false; message: string }

async function inflate(request: InflateRequest): Promise<InflateAnswer> {
  const { id, bytes } = request
  try {
    if (request.kind === 'block') {
      const block = inflateBlock(bytes)
      return { id, ok: true, blocks: [block], prepared: [preparedOrEmpty(block)] }
    }
    const header = readSegmentHeader(bytes)
    const entries = readBlockIndex(bytes, header)
    const checksum = await segmentChecksum(bytes, header)
    const blocks = entries.map((e) => new Uint8Array(inflateBlock(blockFrame(bytes, e), e.uncompressedSize)))
    // a block that does not decode is left to the main thread, which says what is wrong with it
    const prepared = blocks.map(preparedOrEmpty)
    return { id, ok: true, header, checksum, entries, blocks, prepared }
  } catch (err) {
    return { id, ok: false, message: (err as Error).message }
  }
}

// the source's own row filter: rows it drops are not worth preparing
const keep = createRowFilter((workerData as { filters?: PlanFilters } | null)?.filters ?? {})

function preparedOrEmpty(block: Uint8Array): PreparedRecords {
  try {
    return prepareRecords(block, keep)
  } catch {
    return { bytes: new Uint8Array(0), ends: new Uint32Array(0) }
  }
}

if (parentPort) {
  const port = parentPort
  port.on('message', async (request: InflateRequest) => {
    const answer = await inflate(request)
    const transfer = answer.ok
      ? [...answer.blocks, ...answer.prepared.flatMap((p) => [p.bytes, p.ends])].map(
          (b) => b.buffer as ArrayBuffer,
        )
      : []
    port.postMessage(answer, transfer)
  })
}
