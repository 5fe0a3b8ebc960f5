// A downloaded segment (or one getBlock frame) → its rows, block by block, each block checked
// against the footer's block index (event count, seq range, rows in seq order). Pure.
import { decodeBlock, inflateBlock, type SegmentRow } from './segment-block.ts'
import {
  type BlockIndexEntry,
  blockFrame,
  readBlockIndex,
  readSegmentHeader,
  SegmentFormatError,
  type SegmentHeader,
} from './segment-file.ts'

export interface ParsedSegment {
  readonly header: SegmentHeader
  readonly blocks: readonly BlockIndexEntry[]
}

export function parseSegment(bytes: Uint8Array): ParsedSegment {
  const header = readSegmentHeader(bytes)
  return { header, blocks: readBlockIndex(bytes, header) }
}

/** the rows of block `index` of a whole segment file */
export function segmentBlockRows(bytes: Uint8Array, segment: ParsedSegment, index: number): SegmentRow[] {
  const entry = segment.blocks[index]
  if (entry === undefined) throw new SegmentFormatError(`no block ${index} (${segment.blocks.length} blocks)`)
  return blockRows(blockFrame(bytes, entry), entry, index)
}

/**
 * the rows of one block's zstd frame (a getBlock body, or a block cut out of a segment);
 * with its index entry, checked against it
 */
export function blockRows(
  frame: Uint8Array,
  entry: BlockIndexEntry | undefined,
  index: number,
): SegmentRow[] {
  return checkedRows(
    decodeBlock(inflateBlock(frame, entry ? entry.uncompressedSize : undefined)),
    entry,
    index,
  )
}

/** a decompressed block's rows (inflate-worker.ts decompresses), checked against its index entry */
export function inflatedBlockRows(
  block: Uint8Array,
  entry: BlockIndexEntry | undefined,
  index: number,
): SegmentRow[] {
  const buffer = Buffer.from(block.buffer, block.byteOffset, block.byteLength)
  return checkedRows(decodeBlock(buffer), entry, index)
}

function checkedRows(rows: SegmentRow[], entry: BlockIndexEntry | undefined, index: number): SegmentRow[] {
  let previous = -1
  for (const row of rows) {
    if (row.seq <= previous) throw new SegmentFormatError(`block ${index}: seq ${row.seq} after ${previous}`)
    previous = row.seq
  }
  if (entry !== undefined) {
    const first = rows[0]
    const outside =
      rows.length !== entry.eventCount ||
      (first !== undefined && (first.seq < entry.minSeq || previous > entry.maxSeq))
    if (outside) {
      throw new SegmentFormatError(
        `block ${index}: ${rows.length} rows, seq ${first?.seq}..${previous}; its index says ${entry.eventCount} rows in ${entry.minSeq}..${entry.maxSeq}`,
      )
    }
  }
  return rows
}
