// Copies of the recorded segments with their seqs moved, for an archive larger than the
// recording (the bench replays the five segments many times over; a client dedupes by seq, so
// the copies need seqs of their own). Each block is decompressed, its seq column shifted,
// compressed again (zstd with a content checksum, as upstream writes blocks); the footer's
// block index follows, the DID blooms and collection index are kept, the header's seq range,
// offsets and xxh3 checksum are rewritten. Test and bench code: atkafka only reads segments.
import { constants as zlib, zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import { createXXHash3 } from 'hash-wasm'
import { recordedSegments } from './jetstream-v2-fixtures.ts'

const HEADER = 256
const ENTRY = 52

async function shifted(bytes: Buffer, shift: number): Promise<Buffer> {
  const blockCount = bytes.readUInt32LE(14)
  const footerOffset = Number(bytes.readBigUInt64LE(58))
  const indexOffset = Number(bytes.readBigUInt64LE(90))
  const blocks: Buffer[] = []
  const entries: { min: bigint; max: bigint }[] = []
  for (let b = 0; b < blockCount; b++) {
    const at = indexOffset + b * ENTRY
    const offset = Number(bytes.readBigUInt64LE(at))
    const size = bytes.readUInt32LE(at + 8)
    const block = zstdDecompressSync(bytes.subarray(offset + 8, offset + 8 + size))
    const n = block.readUInt32LE(0)
    for (let i = 0; i < n; i++)
      block.writeBigUInt64LE(block.readBigUInt64LE(4 + i * 8) + BigInt(shift), 4 + i * 8)
    blocks.push(
      zstdCompressSync(block, {
        params: { [zlib.ZSTD_c_checksumFlag]: 1, [zlib.ZSTD_c_compressionLevel]: 3 },
      }),
    )
    entries.push({
      min: bytes.readBigUInt64LE(at + 20) + BigInt(shift),
      max: bytes.readBigUInt64LE(at + 28) + BigInt(shift),
    })
  }
  const footer = Buffer.from(bytes.subarray(footerOffset))
  const body = Buffer.concat(blocks.flatMap((f) => [u64(f.length), f]))
  const newFooterOffset = HEADER + body.length
  const delta = BigInt(newFooterOffset - footerOffset)
  let offset = HEADER
  for (let b = 0; b < blockCount; b++) {
    const at = indexOffset - footerOffset + b * ENTRY
    footer.writeBigUInt64LE(BigInt(offset), at)
    footer.writeUInt32LE(blocks[b]!.length, at + 8)
    footer.writeBigUInt64LE(entries[b]!.min, at + 20)
    footer.writeBigUInt64LE(entries[b]!.max, at + 28)
    offset += 8 + blocks[b]!.length
  }
  const header = Buffer.from(bytes.subarray(0, HEADER))
  header.writeBigUInt64LE(header.readBigUInt64LE(26) + BigInt(shift), 26)
  header.writeBigUInt64LE(header.readBigUInt64LE(34) + BigInt(shift), 34)
  for (const at of [58, 66, 74, 82, 90]) header.writeBigUInt64LE(header.readBigUInt64LE(at) + delta, at)
  const hasher = await createXXHash3()
  hasher.init()
  hasher.update(header.subarray(12))
  hasher.update(footer)
  header.writeBigUInt64LE(BigInt(`0x${hasher.digest('hex')}`), 4)
  return Buffer.concat([header, body, footer])
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b
}

/** `copies` × the five recorded segments, seqs 1 … copies × 2890 (name → bytes) */
export async function resequencedArchive(
  copies: number,
): Promise<{ segments: Map<string, Buffer>; lastSeq: number; rows: number }> {
  const recorded = [...recordedSegments().values()]
  const span = 2890
  const segments = new Map<string, Buffer>()
  let rows = 0
  for (let k = 0; k < copies; k++) {
    for (const bytes of recorded) {
      const name = `seg_${String(segments.size).padStart(10, '0')}.jss`
      segments.set(name, k === 0 ? bytes : await shifted(bytes, k * span))
      rows += bytes.readUInt32LE(18)
    }
  }
  return { segments, lastSeq: copies * span, rows }
}
