// A sealed Jetstream v2 segment file (.jss, upstream docs/README.md §3.1.2): the 256-byte header,
// the blocks (each a u64 LE length then one zstd frame), and the footer's block index. Pure:
// bytes in, offsets and numbers out; nothing here decompresses (segment-block.ts does).
//
// What can be verified, and where:
// - the file: `checksum` (header offset 4, u64 LE) is xxh3-64 of header[12..256] followed by the
//   footer (footer_offset..end): the blocks are not in it (verifySegmentChecksum). Its hex form
//   is what planSnapshot/listSegments call `checksum` and what getSegment sends as its ETag.
// - each block: its zstd frame carries a content checksum, checked when it is decompressed, and
//   the footer's block index gives its offset, sizes, event count and seq range.

const SEGMENT_MAGIC = 'jss0'
const SEGMENT_HEADER_BYTES = 256
/** one block index entry: offset u64, compressed u32, uncompressed u32, events u32, 4 × 64-bit bounds */
const BLOCK_INDEX_ENTRY_BYTES = 52
/** the length prefix before each block's zstd frame */
const BLOCK_PREFIX_BYTES = 8

export interface SegmentHeader {
  /** xxh3-64 of header[12..] + footer, as 16 lowercase hex digits (the plan's `checksum`, the ETag) */
  readonly checksum: string
  readonly version: number
  readonly blockCount: number
  readonly eventCount: number
  readonly minSeq: number
  readonly maxSeq: number
  readonly footerOffset: number
  readonly blockIndexOffset: number
}

export interface BlockIndexEntry {
  /** offset of the block's length prefix in the file */
  readonly offset: number
  readonly compressedSize: number
  readonly uncompressedSize: number
  readonly eventCount: number
  readonly minSeq: number
  readonly maxSeq: number
}

export class SegmentFormatError extends Error {
  override readonly name = 'SegmentFormatError'
}

function u64(view: DataView, at: number, what: string): number {
  const value = view.getBigUint64(at, true)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SegmentFormatError(`${what} ${value} is past 2^53`)
  }
  return Number(value)
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** the 64-bit checksum as the API writes it: 16 lowercase hex digits */
function checksumHex(value: bigint): string {
  return value.toString(16).padStart(16, '0')
}

/** reads the fixed header; throws SegmentFormatError for a file that is not a sealed segment */
export function readSegmentHeader(bytes: Uint8Array): SegmentHeader {
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    throw new SegmentFormatError(`${bytes.length} bytes: shorter than the 256-byte header`)
  }
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!)
  if (magic !== SEGMENT_MAGIC) throw new SegmentFormatError(`magic ${JSON.stringify(magic)}, not "jss0"`)
  const view = viewOf(bytes)
  const checksum = view.getBigUint64(4, true)
  if (checksum === 0n) throw new SegmentFormatError('checksum is zero: an active (unsealed) segment')
  const header: SegmentHeader = {
    checksum: checksumHex(checksum),
    version: view.getUint16(12, true),
    blockCount: view.getUint32(14, true),
    eventCount: view.getUint32(18, true),
    minSeq: u64(view, 26, 'min_seq'),
    maxSeq: u64(view, 34, 'max_seq'),
    footerOffset: u64(view, 58, 'footer_offset'),
    blockIndexOffset: u64(view, 90, 'block_index_offset'),
  }
  if (header.version !== 1)
    throw new SegmentFormatError(`segment format version ${header.version}; 1 is known`)
  const indexEnd = header.blockIndexOffset + header.blockCount * BLOCK_INDEX_ENTRY_BYTES
  if (
    header.footerOffset < SEGMENT_HEADER_BYTES ||
    header.footerOffset > bytes.length ||
    header.blockIndexOffset < header.footerOffset ||
    indexEnd > bytes.length
  ) {
    throw new SegmentFormatError(
      `footer at ${header.footerOffset}, block index at ${header.blockIndexOffset} (${header.blockCount} blocks) do not fit in ${bytes.length} bytes`,
    )
  }
  return header
}

/** the footer's block index, each entry checked to lie between the header and the footer */
export function readBlockIndex(bytes: Uint8Array, header: SegmentHeader): BlockIndexEntry[] {
  const view = viewOf(bytes)
  const entries: BlockIndexEntry[] = []
  for (let i = 0; i < header.blockCount; i++) {
    const at = header.blockIndexOffset + i * BLOCK_INDEX_ENTRY_BYTES
    const entry: BlockIndexEntry = {
      offset: u64(view, at, 'block offset'),
      compressedSize: view.getUint32(at + 8, true),
      uncompressedSize: view.getUint32(at + 12, true),
      eventCount: view.getUint32(at + 16, true),
      minSeq: u64(view, at + 20, 'block min_seq'),
      maxSeq: u64(view, at + 28, 'block max_seq'),
    }
    const end = entry.offset + BLOCK_PREFIX_BYTES + entry.compressedSize
    if (entry.offset < SEGMENT_HEADER_BYTES || end > header.footerOffset) {
      throw new SegmentFormatError(
        `block ${i} at ${entry.offset}+${entry.compressedSize} is outside the block area`,
      )
    }
    const prefix = u64(view, entry.offset, 'block length')
    if (prefix !== entry.compressedSize) {
      throw new SegmentFormatError(
        `block ${i}: length prefix ${prefix} differs from the index's ${entry.compressedSize}`,
      )
    }
    entries.push(entry)
  }
  return entries
}

/** block `index`'s zstd frame (without its length prefix: what getBlock serves) */
export function blockFrame(bytes: Uint8Array, entry: BlockIndexEntry): Uint8Array {
  const start = entry.offset + BLOCK_PREFIX_BYTES
  return bytes.subarray(start, start + entry.compressedSize)
}

/** the bytes the checksum covers: header[12..256] then the footer */
export function checksummedParts(bytes: Uint8Array, header: SegmentHeader): [Uint8Array, Uint8Array] {
  return [bytes.subarray(12, SEGMENT_HEADER_BYTES), bytes.subarray(header.footerOffset)]
}
