// The segment checksum (xxh3-64 over header[12..256] and the footer; see segment-file.ts),
// with hash-wasm's xxh3 (WebAssembly, no native build). One hasher per process, made on first use.
import { createXXHash3, type IHasher } from 'hash-wasm'
import { checksummedParts, type SegmentHeader } from './segment-file.ts'

let hasher: Promise<IHasher> | undefined

/** the checksum the bytes hash to, as 16 lowercase hex digits (compare with header.checksum and the ETag) */
export async function segmentChecksum(bytes: Uint8Array, header: SegmentHeader): Promise<string> {
  hasher ??= createXXHash3()
  const h = await hasher
  const [head, footer] = checksummedParts(bytes, header)
  // init/update/digest run synchronously: concurrent callers cannot interleave on the one hasher
  h.init()
  h.update(head)
  h.update(footer)
  return h.digest('hex')
}
