// The per-record work of a repo, done on a worker thread (record-worker.ts) so the main thread
// does not: checking that each record block hashes to its CID, decoding its DAG-CBOR, writing
// it as JSON (exactly as JSON.stringify writes the decoded record inside an event), its CID as
// a string and its createdAt. A batch of record blocks crosses as one transferred buffer each way.
//   request, per record: the CID's length (one byte), its bytes, then the block
//   answer, per record: status (0 ok, 1 not DAG-CBOR, 2 not a map, 3 does not hash to its CID), CID length (one byte), the
//   CID (ASCII), createdAt's UTF-8 length (u16 LE; 0: none, or not a string), createdAt, the JSON
import { CidLinkWrapper, decode } from '@atcute/cbor'
import { RawJson } from '../events/raw-json.ts'
import { blockMatchesCid } from '../sources/relay/decode-commit.ts'

/** record blocks packed for the worker, or its answer: per record, bytes [ends[i-1], ends[i]) */
export interface PackedRecords {
  readonly bytes: Uint8Array
  readonly ends: Uint32Array
}

export const RECORD_STATUS = { ok: 0, notCbor: 1, notMap: 2, cidMismatch: 3 } as const

/** a createdAt longer than this is passed as none: no date parser reads it either way */
const MAX_CREATED_AT_BYTES = 0xffff

/** Main thread: packs record blocks (each with its CID's bytes) into one transferable buffer. */
export function packRecords(blocks: readonly { cid: Uint8Array; bytes: Uint8Array }[]): PackedRecords {
  let total = 0
  for (const b of blocks) total += 1 + b.cid.length + b.bytes.length
  // its own ArrayBuffer (not Node's pool): it is transferred to the worker
  const bytes = new Uint8Array(new ArrayBuffer(total))
  const ends = new Uint32Array(blocks.length)
  let at = 0
  for (const [i, b] of blocks.entries()) {
    bytes[at] = b.cid.length
    bytes.set(b.cid, at + 1)
    bytes.set(b.bytes, at + 1 + b.cid.length)
    at += 1 + b.cid.length + b.bytes.length
    ends[i] = at
  }
  return { bytes, ends }
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

/** Worker: each packed record block → its status, CID string, createdAt and JSON. */
export function prepareRecords(packed: PackedRecords): PackedRecords {
  const { bytes, ends } = packed
  const parts: { status: number; cid: string; createdAt: string; json: string }[] = []
  let total = 0
  for (let i = 0; i < ends.length; i++) {
    const start = i === 0 ? 0 : ends[i - 1]!
    const cidEnd = start + 1 + bytes[start]!
    const cidBytes = bytes.slice(start + 1, cidEnd)
    const cid = new CidLinkWrapper(cidBytes).$link
    const block = bytes.subarray(cidEnd, ends[i]!)
    let status: number = RECORD_STATUS.ok
    let createdAt = ''
    let json = ''
    if (!blockMatchesCid(block, cidBytes)) status = RECORD_STATUS.cidMismatch
    else
      try {
        const record = decode(block)
        if (!isMap(record)) status = RECORD_STATUS.notMap
        else {
          json = JSON.stringify(record)
          if (typeof record.createdAt === 'string') createdAt = record.createdAt
        }
      } catch {
        status = RECORD_STATUS.notCbor
      }
    if (Buffer.byteLength(createdAt) > MAX_CREATED_AT_BYTES) createdAt = ''
    parts.push({ status, cid, createdAt, json })
    total += 2 + cid.length + 2 + Buffer.byteLength(createdAt) + Buffer.byteLength(json)
  }
  const out = Buffer.from(new ArrayBuffer(total))
  const outEnds = new Uint32Array(parts.length)
  let at = 0
  for (const [i, p] of parts.entries()) {
    out[at] = p.status
    out[at + 1] = p.cid.length
    at += 2 + out.write(p.cid, at + 2, 'latin1')
    const createdAtBytes = out.write(p.createdAt, at + 2, 'utf8')
    out.writeUInt16LE(createdAtBytes, at)
    at += 2 + createdAtBytes
    at += out.write(p.json, at, 'utf8')
    outEnds[i] = at
  }
  return { bytes: new Uint8Array(out.buffer, 0, total), ends: outEnds }
}

export interface PreparedRecord {
  readonly status: number
  readonly cid: string
  /** the record's createdAt, when it is a string */
  readonly createdAt: string | undefined
  /** the record's JSON (a view of the answer's buffer) */
  readonly record: RawJson
}

/** Main thread: record i of the worker's answer */
export function preparedRecord(answer: { bytes: Buffer; ends: Uint32Array }, i: number): PreparedRecord {
  const { bytes, ends } = answer
  let at = i === 0 ? 0 : ends[i - 1]!
  const status = bytes[at]!
  const cidEnd = at + 2 + bytes[at + 1]!
  const cid = bytes.toString('latin1', at + 2, cidEnd)
  const createdAtBytes = bytes.readUInt16LE(cidEnd)
  at = cidEnd + 2
  const createdAt = createdAtBytes > 0 ? bytes.toString('utf8', at, at + createdAtBytes) : undefined
  const json = bytes.subarray(at + createdAtBytes, ends[i]!)
  return { status, cid, createdAt, record: new RawJson([json], json.length) }
}
