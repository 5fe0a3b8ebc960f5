// The per-record work of an archive block, done on the inflate worker (inflate-worker.ts) so the
// main thread does not: decoding each record's DAG-CBOR, hashing it for its CID and writing it
// as JSON. They cross to the main thread as one buffer per block (transferred, not copied): for
// row i, bytes [ends[i-1], ends[i]) hold the CID's length (one byte), the CID (ASCII) and the
// record's JSON (UTF-8), exactly as JSON.stringify writes the decoded record inside an event.
// A row whose range is empty is not prepared (deletes, account/identity/sync rows, a record
// that is not a DAG-CBOR map): the main thread decodes it as before, and counts what is wrong.
import { decode } from '@atcute/cbor'
import { RawJson } from '../../events/raw-json.ts'
import { isMap } from '../event-stream/body-fields.ts'
import { recordCid } from './archive-event.ts'
import { decodeBlock, ROW_KIND, type SegmentRow } from './segment-block.ts'

export interface PreparedRecords {
  /** per row: CID length, CID, record JSON */
  readonly bytes: Uint8Array
  /** per row: where its range ends in `bytes` */
  readonly ends: Uint32Array
}

/** what holding a block's prepared records costs, in bytes */
export const preparedBytes = (p: PreparedRecords) => p.bytes.byteLength + p.ends.byteLength

/**
 * Worker side: the records of a decompressed block, prepared (rows it cannot use, and rows
 * `keep` does not keep, are left empty).
 */
export function prepareRecords(
  block: Uint8Array,
  keep: (row: SegmentRow) => unknown = () => true,
): PreparedRecords {
  const rows = decodeBlock(Buffer.from(block.buffer, block.byteOffset, block.byteLength))
  const parts: (readonly [string, string] | undefined)[] = new Array(rows.length)
  let total = 0
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (row.kind !== ROW_KIND.create && row.kind !== ROW_KIND.update && row.kind !== ROW_KIND.createResync)
      continue
    if (keep(row) !== true) continue
    let record: unknown
    try {
      record = decode(row.payload)
    } catch {
      continue // the main thread decodes it again and counts the drop with its reason
    }
    if (!isMap(record)) continue
    const cid = recordCid(row.payload)
    const json = JSON.stringify(record)
    parts[i] = [cid, json]
    total += 1 + cid.length + Buffer.byteLength(json)
  }
  const bytes = Buffer.from(new ArrayBuffer(total))
  const ends = new Uint32Array(rows.length)
  let at = 0
  for (let i = 0; i < rows.length; i++) {
    const part = parts[i]
    if (part !== undefined) {
      const [cid, json] = part
      bytes[at] = cid.length
      at += 1 + bytes.write(cid, at + 1, 'latin1')
      at += bytes.write(json, at, 'utf8')
    }
    ends[i] = at
  }
  return { bytes: new Uint8Array(bytes.buffer, 0, total), ends }
}

/** Main-thread side: a block's prepared records as they arrived from the worker */
export function receivedRecords(p: PreparedRecords): { readonly bytes: Buffer; readonly ends: Uint32Array } {
  return { bytes: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength), ends: p.ends }
}

/** row i's CID and record (a view of the block's buffer), if prepared */
export function preparedRecord(
  prepared: ReturnType<typeof receivedRecords>,
  i: number,
): { cid: string; record: RawJson } | undefined {
  const { bytes, ends } = prepared
  const start = i === 0 ? 0 : ends[i - 1]!
  const end = ends[i]!
  if (end === start) return undefined
  const cidEnd = start + 1 + bytes[start]!
  const json = bytes.subarray(cidEnd, end)
  return { cid: bytes.toString('latin1', start + 1, cidEnd), record: new RawJson([json], json.length) }
}
