// Building relay frames for tests and benchmarks: re-sequencing recorded frames, error/info
// frames. A frame is a DAG-CBOR header followed by a DAG-CBOR body.
import { decode, decodeFirst, encode } from '@atcute/cbor'

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

export function encodeFrame(header: Record<string, unknown>, body: Record<string, unknown>): Uint8Array {
  return concat(encode(header), encode(body))
}

export function frameSeq(frame: Uint8Array): number | undefined {
  const [, rest] = decodeFirst(frame)
  const body = decode(rest) as { seq?: unknown }
  return typeof body.seq === 'number' ? body.seq : undefined
}

/** The same frame with another seq (header and body re-encoded; CIDs and bytes round-trip). */
export function withSeq(frame: Uint8Array, seq: number): Uint8Array {
  const [header, rest] = decodeFirst(frame)
  const body = decode(rest) as Record<string, unknown>
  return encodeFrame(header as Record<string, unknown>, { ...body, seq })
}

/**
 * `count` frames cycling over `frames`, with consecutive seqs from `firstSeq`. The body is
 * decoded once per source frame; only the seq changes between copies.
 */
export function resequence(frames: readonly Uint8Array[], count: number, firstSeq = 1): Uint8Array[] {
  const parts = frames.map((f) => {
    const [header, rest] = decodeFirst(f)
    return { header: encode(header), body: decode(rest) as Record<string, unknown> }
  })
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const p = parts[i % parts.length]
    if (!p) break
    out.push(concat(p.header, encode({ ...p.body, seq: firstSeq + i })))
  }
  return out
}

export function errorFrame(name: string, message?: string): Uint8Array {
  return encodeFrame({ op: -1 }, message === undefined ? { error: name } : { error: name, message })
}

export function infoFrame(name: string, message?: string): Uint8Array {
  return encodeFrame({ op: 1, t: '#info' }, message === undefined ? { name } : { name, message })
}

export function unknownFrame(t: string, seq: number): Uint8Array {
  return encodeFrame({ op: 1, t }, { seq, did: 'did:plc:unknown' })
}
