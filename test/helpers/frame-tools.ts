// Building relay frames for tests and benchmarks: re-sequencing recorded frames, error/info
// frames, #commit frames with records of any size (their CAR written by @atcute/car), and
// frames the data model forbids (a float-encoded seq). A frame is a DAG-CBOR header followed
// by a DAG-CBOR body (one WebSocket message).
import { createHash, randomBytes } from 'node:crypto'
import { writeCarStream } from '@atcute/car'
import { BytesWrapper, decode, decodeFirst, encode, toCidLink } from '@atcute/cbor'
import { CODEC_DCBOR, fromDigest } from '@atcute/cid'

/** A run of frames produced on demand (a long stream need not sit in memory). */
export interface FrameWindow {
  readonly length: number
  frame(index: number): Uint8Array
  /** the frame's body seq; undefined for frames without one (#info, error frames) */
  seq(index: number): number | undefined
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export function encodeFrame(header: Record<string, unknown>, body: Record<string, unknown>): Uint8Array {
  return concat(encode(header), encode(body))
}

/** header and body of a frame (throws on bad CBOR or trailing bytes) */
export function splitFrame(frame: Uint8Array): {
  header: Record<string, unknown>
  body: Record<string, unknown>
} {
  const [header, rest] = decodeFirst(frame) as [Record<string, unknown>, Uint8Array]
  return { header, body: decode(rest) as Record<string, unknown> }
}

export function frameSeq(frame: Uint8Array): number | undefined {
  const { seq } = splitFrame(frame).body
  return typeof seq === 'number' ? seq : undefined
}

function checkSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new RangeError(`seq must be a safe non-negative integer: ${seq}`)
}

/** The same frame with another seq: header and body re-encoded (CIDs and bytes round-trip). */
export function withSeq(frame: Uint8Array, seq: number): Uint8Array {
  checkSeq(seq)
  const { header, body } = splitFrame(frame)
  if (typeof body.seq !== 'number') throw new TypeError('withSeq: the frame has no seq')
  return encodeFrame(header, { ...body, seq })
}

/** minimal (DAG-CBOR) encoding of an unsigned integer, major type 0 */
function uintBytes(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(n)
  if (n < 0x100) return Uint8Array.of(0x18, n)
  if (n < 0x10000) return Uint8Array.of(0x19, n >> 8, n & 0xff)
  const out = new Uint8Array(n < 0x1_0000_0000 ? 5 : 9)
  const view = new DataView(out.buffer)
  if (out.length === 5) {
    out[0] = 0x1a
    view.setUint32(1, n)
  } else {
    out[0] = 0x1b
    view.setUint32(1, Math.floor(n / 0x1_0000_0000))
    view.setUint32(5, n >>> 0)
  }
  return out
}

// A seq value that needs the 9-byte form and is unlikely to occur anywhere else in a frame.
const SENTINEL = 0x1f_a5c3_9e71_d2b4
const MARK = concat(encode('seq'), uintBytes(SENTINEL))

function indexOfAll(hay: Uint8Array, needle: Uint8Array): number[] {
  const hits: number[] = []
  for (
    let i = hay.indexOf(needle[0] ?? 0);
    i >= 0 && i <= hay.length - needle.length;
    i = hay.indexOf(needle[0] ?? 0, i + 1)
  ) {
    let j = 1
    while (j < needle.length && hay[i + j] === needle[j]) j++
    if (j === needle.length) hits.push(i)
  }
  return hits
}

/**
 * A function giving `frame` with any seq. The frame is re-encoded once with a sentinel seq;
 * each copy then splices the new seq's bytes in (only the seq value changes size, and no map
 * or array length around it). Falls back to a full re-encode if the sentinel is ambiguous.
 */
export function seqTemplate(frame: Uint8Array): (seq: number) => Uint8Array {
  const { header, body } = splitFrame(frame)
  if (typeof body.seq !== 'number') throw new TypeError('seqTemplate: the frame has no seq')
  const encodedHeader = encode(header)
  const encodedBody = encode({ ...body, seq: SENTINEL })
  const hits = indexOfAll(encodedBody, MARK)
  const hit = hits[0]
  if (hits.length !== 1 || hit === undefined) return (seq) => withSeq(frame, seq)
  const valueAt = hit + MARK.length - 9
  const prefix = concat(encodedHeader, encodedBody.subarray(0, valueAt))
  const suffix = encodedBody.subarray(valueAt + 9)
  const splice = (seq: number) => {
    checkSeq(seq)
    const value = uintBytes(seq)
    const out = new Uint8Array(prefix.length + value.length + suffix.length)
    out.set(prefix, 0)
    out.set(value, prefix.length)
    out.set(suffix, prefix.length + value.length)
    return out
  }
  // belt and braces: the splice must equal a full re-encode
  const same = splice(body.seq)
  const full = encodeFrame(header, body)
  const equal = same.length === full.length && same.every((b, i) => b === full[i])
  return equal ? splice : (seq) => withSeq(frame, seq)
}

/**
 * `count` frames cycling over `frames` (each must carry a seq) with consecutive seqs from
 * `firstSeq`, made on demand: a 1M-frame stream costs no memory until it is read.
 */
export function resequenced(frames: readonly Uint8Array[], count: number, firstSeq = 1): FrameWindow {
  if (frames.length === 0 && count > 0) throw new RangeError('resequenced: no frames to cycle over')
  checkSeq(firstSeq)
  checkSeq(firstSeq + Math.max(count - 1, 0))
  const templates = frames.map(seqTemplate)
  return {
    length: count,
    frame(index) {
      if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`no frame ${index}`)
      return (templates[index % templates.length] as (seq: number) => Uint8Array)(firstSeq + index)
    },
    seq: (index) => (index >= 0 && index < count ? firstSeq + index : undefined),
  }
}

/** `count` frames cycling over `frames` with consecutive seqs from `firstSeq`, as an array */
export function resequence(frames: readonly Uint8Array[], count: number, firstSeq = 1): Uint8Array[] {
  const window = resequenced(frames, count, firstSeq)
  return Array.from({ length: count }, (_, i) => window.frame(i))
}

/** an error frame, as servers send right before closing: header {op: -1}, body {error, message?} */
export function errorFrame(name: string, message?: string): Uint8Array {
  return encodeFrame({ op: -1 }, message === undefined ? { error: name } : { error: name, message })
}

/** an #info message (e.g. OutdatedCursor); it has no seq */
export function infoFrame(name: string, message?: string): Uint8Array {
  return encodeFrame({ op: 1, t: '#info' }, message === undefined ? { name } : { name, message })
}

/** a message of a type the lexicon does not know (consumers must skip it) */
export function unknownFrame(t: string, seq: number): Uint8Array {
  return encodeFrame({ op: 1, t }, { seq, did: 'did:plc:unknown' })
}

/** one op of a synthetic #commit; create/update ops carry a record (any DAG-CBOR value) */
export interface CommitOp {
  readonly action: 'create' | 'update' | 'delete'
  /** `<collection>/<rkey>` (written as given, so it may break the syntax on purpose) */
  readonly path: string
  readonly record?: unknown
}

export interface CommitSpec {
  readonly seq: number
  /** default: a fixed valid did:plc */
  readonly repo?: string
  readonly rev?: string
  readonly time?: string
  readonly ops: readonly CommitOp[]
}

const COMMIT_HEADER = { op: 1, t: '#commit' }

function dagCborCid(data: Uint8Array) {
  return fromDigest(CODEC_DCBOR, createHash('sha256').update(data).digest())
}

/**
 * A #commit frame as a relay sends it: the record blocks in a CARv1 (a stand-in commit block
 * first, as its root), one repoOp per op with the record's CID. Signatures and the MST are not
 * there: atkafka is a records-only consumer and never reads them.
 */
export async function commitFrame(spec: CommitSpec): Promise<Uint8Array> {
  const repo = spec.repo ?? 'did:plc:bytesbytesbytesbytes2345'
  const rev = spec.rev ?? '3mptbypluud2a'
  const commitBlock = encode({ did: repo, rev, version: 3, data: null, prev: null })
  const commitCid = dagCborCid(commitBlock)
  const blocks = [{ cid: commitCid.bytes, data: commitBlock }]
  const ops = spec.ops.map((op) => {
    if (op.action === 'delete') return { action: op.action, path: op.path, cid: null }
    const data = encode(op.record)
    const cid = dagCborCid(data)
    blocks.push({ cid: cid.bytes, data })
    return { action: op.action, path: op.path, cid: toCidLink(cid) }
  })
  const car = Buffer.concat(await Array.fromAsync(writeCarStream([toCidLink(commitCid)], blocks)))
  return encodeFrame(COMMIT_HEADER, {
    seq: spec.seq,
    rebase: false,
    tooBig: false,
    repo,
    commit: toCidLink(commitCid),
    rev,
    since: null,
    blocks: new BytesWrapper(car),
    ops,
    blobs: [],
    time: spec.time ?? '2026-07-04T14:38:07.517Z',
  })
}

/**
 * A record of about `bytes` bytes of DAG-CBOR: a post whose text is `bytes` long ('text': one
 * letter repeated, which compresses to nothing; 'random': base64 of random bytes, which does
 * not), or whose `items` array holds that many small entries ('ints': 1-byte integers, 'maps':
 * empty maps, the most heap per byte @atcute/cbor can be made to build).
 */
/** a #commit creating one small post with rkey `<prefix><seq>` (the canary between hostile frames) */
export function postFrame(seq: number, prefix = 'canary'): Promise<Uint8Array> {
  return commitFrame({
    seq,
    ops: [
      {
        action: 'create',
        path: `app.bsky.feed.post/${prefix}${seq}`,
        record: {
          $type: 'app.bsky.feed.post',
          text: `${prefix} ${seq}`,
          createdAt: '2026-07-04T14:38:07.517Z',
        },
      },
    ],
  })
}

export function bigRecord(
  bytes: number,
  shape: 'text' | 'random' | 'ints' | 'maps' = 'text',
): Record<string, unknown> {
  const base = { $type: 'app.bsky.feed.post', createdAt: '2026-07-04T14:38:07.517Z' }
  switch (shape) {
    case 'text':
      return { ...base, text: 'x'.repeat(bytes) }
    case 'random':
      return {
        ...base,
        text: randomBytes(Math.ceil((bytes * 3) / 4))
          .toString('base64')
          .slice(0, bytes),
      }
    case 'ints':
      return { ...base, text: '', items: new Array<number>(bytes).fill(7) }
    case 'maps':
      return { ...base, text: '', items: Array.from({ length: bytes }, () => ({})) }
  }
}

/** The same frame with its seq encoded as a DAG-CBOR float (the data model forbids floats for integers). */
export function withFloatSeq(frame: Uint8Array): Uint8Array {
  const { header, body } = splitFrame(frame)
  if (typeof body.seq !== 'number') throw new TypeError('withFloatSeq: the frame has no seq')
  const encodedBody = encode({ ...body, seq: SENTINEL })
  const hits = indexOfAll(encodedBody, MARK)
  const hit = hits[0]
  if (hits.length !== 1 || hit === undefined) throw new Error('withFloatSeq: ambiguous sentinel')
  // the uint64 form and the float64 form are both 9 bytes: one major-type byte and 8 of value
  const valueAt = hit + MARK.length - 9
  const out = concat(encode(header), encodedBody)
  const at = encode(header).length + valueAt
  out[at] = 0xfb
  new DataView(out.buffer, out.byteOffset + at + 1, 8).setFloat64(0, body.seq)
  return out
}
