// One decompressed segment block (upstream docs/README.md §3.2) → its rows. The block is
// columnar: u32 event_count, then the fixed columns (seq u64, witnessed_at i64, indexed_at i64,
// kind u8, collection_len u8, did_len u16, rkey_len u8, rev_len u8, event_len u32; all LE), then
// the variable columns concatenated in that order (collections, dids, rkeys, revs, payloads).
// Pure; throws SegmentFormatError when the columns do not add up to the block's length.
import { zstdDecompressSync } from 'node:zlib'
import { SegmentFormatError } from './segment-file.ts'

/** the largest decompressed block read (upstream blocks of 4,096 events are a few MiB) */
const MAX_BLOCK_BYTES = 64 * 1024 * 1024

/**
 * a block's zstd frame (no length prefix) → its columns; the frame's content checksum is
 * checked by zstd. Throws SegmentFormatError for a frame that does not decompress within `maxBytes`.
 */
export function inflateBlock(frame: Uint8Array, maxBytes = MAX_BLOCK_BYTES): Buffer {
  try {
    return zstdDecompressSync(frame, { maxOutputLength: maxBytes })
  } catch (err) {
    throw new SegmentFormatError(
      `block frame of ${frame.length} bytes does not decompress: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}

/** the `kind` column; 7 is in the upstream code (KindCreateResync) but not in the RFD's table */
export const ROW_KIND = {
  create: 1,
  update: 2,
  delete: 3,
  identity: 4,
  account: 5,
  sync: 6,
  /** a record re-created after a #sync re-download: a create to every client */
  createResync: 7,
} as const

export interface SegmentRow {
  readonly seq: number
  /** unix µs when Jetstream saw the event */
  readonly witnessedAt: number
  /** unix µs display time set by a timestamp import; 0 = unset (use witnessedAt) */
  readonly indexedAt: number
  readonly kind: number
  /** '' for identity/account/sync rows */
  readonly collection: string
  readonly did: string
  readonly rkey: string
  readonly rev: string
  /** commit kinds: the record's DAG-CBOR (empty for deletes); markers: the upstream event's DAG-CBOR. A view of the block. */
  readonly payload: Uint8Array
}

/** decodes every row of a block; `block` is the zstd frame's decompressed content */
export function decodeBlock(block: Buffer): SegmentRow[] {
  if (block.length < 4) throw new SegmentFormatError(`block of ${block.length} bytes has no event count`)
  const n = block.readUInt32LE(0)
  // fixed columns: 8+8+8+1+1+2+1+1+4 = 34 bytes per row
  const fixedEnd = 4 + n * 34
  if (fixedEnd > block.length) {
    throw new SegmentFormatError(`block says ${n} events but has ${block.length} bytes`)
  }
  const seqAt = 4
  const witnessedAt = seqAt + n * 8
  const indexedAt = witnessedAt + n * 8
  const kindAt = indexedAt + n * 8
  const collectionLenAt = kindAt + n
  const didLenAt = collectionLenAt + n
  const rkeyLenAt = didLenAt + n * 2
  const revLenAt = rkeyLenAt + n
  const eventLenAt = revLenAt + n
  // starts of the variable columns: each is the sum of the previous column's lengths
  let collections = fixedEnd
  let dids = collections
  for (let i = 0; i < n; i++) dids += block[collectionLenAt + i]!
  let rkeys = dids
  for (let i = 0; i < n; i++) rkeys += block.readUInt16LE(didLenAt + i * 2)
  let revs = rkeys
  for (let i = 0; i < n; i++) revs += block[rkeyLenAt + i]!
  let payloads = revs
  for (let i = 0; i < n; i++) payloads += block[revLenAt + i]!
  let end = payloads
  for (let i = 0; i < n; i++) end += block.readUInt32LE(eventLenAt + i * 4)
  if (end !== block.length) {
    throw new SegmentFormatError(`block columns add up to ${end} bytes; the block has ${block.length}`)
  }
  const rows: SegmentRow[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const collectionLen = block[collectionLenAt + i]!
    const didLen = block.readUInt16LE(didLenAt + i * 2)
    const rkeyLen = block[rkeyLenAt + i]!
    const revLen = block[revLenAt + i]!
    const eventLen = block.readUInt32LE(eventLenAt + i * 4)
    rows[i] = {
      seq: readU64(block, seqAt + i * 8),
      witnessedAt: readU64(block, witnessedAt + i * 8),
      indexedAt: readU64(block, indexedAt + i * 8),
      kind: block[kindAt + i]!,
      collection: block.toString('latin1', collections, collections + collectionLen),
      did: block.toString('latin1', dids, dids + didLen),
      rkey: block.toString('latin1', rkeys, rkeys + rkeyLen),
      rev: block.toString('latin1', revs, revs + revLen),
      payload: block.subarray(payloads, payloads + eventLen),
    }
    collections += collectionLen
    dids += didLen
    rkeys += rkeyLen
    revs += revLen
    payloads += eventLen
  }
  return rows
}

/** a u64/i64 column value as a number (seqs and µs timestamps are far below 2^53) */
function readU64(block: Buffer, at: number): number {
  const lo = block.readUInt32LE(at)
  const hi = block.readUInt32LE(at + 4)
  if (hi >= 0x200000) throw new SegmentFormatError(`64-bit column value at ${at} is past 2^53 or negative`)
  return hi * 0x1_0000_0000 + lo
}
