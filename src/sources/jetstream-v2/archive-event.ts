// One segment row → the canonical event, flagged `live: false`. Pure. Commit rows carry the
// record's DAG-CBOR (decoded with @atcute/cbor; its CID is computed here, segments store none);
// identity/account/sync rows carry the relay's subscribeRepos event body, whose seq and time
// are the relay's (kept as `relay`), beside Jetstream's seq and witnessed-at time.
// Kind 7 (a record re-created after a #sync re-download) is a create, as every upstream client
// shows it. What cannot be used becomes a DecodeError for the caller to count.
import { hash } from 'node:crypto'
import { decode } from '@atcute/cbor'
import { toString as cidString, fromDigest } from '@atcute/cid'
import { DecodeError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isDid, isNsid, isRecordKey } from '../../events/atproto-syntax.ts'
import type { RawJson } from '../../events/raw-json.ts'
import { isMap, optionalString, shown } from '../event-stream/body-fields.ts'
import { ROW_KIND, type SegmentRow } from './segment-block.ts'

const CODEC_DAG_CBOR = 0x71

// rows of a block are often witnessed in the same millisecond: its ISO prefix is kept
let lastMs = Number.NaN
let lastPrefix = ''

/** RFC 3339 UTC with exactly six fractional digits, as Jetstream writes `time` */
export function microsToTime(us: number): string {
  const ms = Math.floor(us / 1000)
  if (ms !== lastMs) {
    lastMs = ms
    lastPrefix = new Date(ms).toISOString().slice(0, 23) // …SS.mmm
  }
  const micros = us - ms * 1000
  return `${lastPrefix}${micros < 10 ? '00' : micros < 100 ? '0' : ''}${micros}Z`
}

/** the row's display time in µs: indexed_at when an import set it, else witnessed_at */
function rowTimeUs(row: SegmentRow): number {
  return row.indexedAt !== 0 ? row.indexedAt : row.witnessedAt
}

/** CIDv1 (dag-cbor, sha2-256) of a record's bytes, as a string */
export function recordCid(bytes: Uint8Array): string {
  return cidString(fromDigest(CODEC_DAG_CBOR, hash('sha256', bytes, 'buffer')))
}

function bad(row: SegmentRow, what: string, reason: 'invalid_event' | 'invalid_record' = 'invalid_event') {
  return new DecodeError(reason, `archive row seq=${row.seq} kind=${row.kind} did=${shown(row.did)}: ${what}`)
}

/**
 * the event of a row, or the reason it is dropped; `prepared`: its record's CID and JSON, made
 * on the inflate worker (prepared-records.ts), which the event then carries instead of decoding
 */
export function rowToEvent(
  row: SegmentRow,
  prepared?: { readonly cid: string; readonly record: RawJson },
): AtprotoEvent | DecodeError {
  const { seq, did, kind } = row
  if (!isDid(did)) return bad(row, 'did is not a DID')
  const time = microsToTime(rowTimeUs(row))
  switch (kind) {
    case ROW_KIND.create:
    case ROW_KIND.update:
    case ROW_KIND.createResync:
    case ROW_KIND.delete: {
      const { collection, rkey, rev } = row
      if (!isNsid(collection) || !isRecordKey(rkey)) {
        return bad(row, `path ${shown(`${collection}/${rkey}`)} is not <NSID>/<record key>`)
      }
      if (kind === ROW_KIND.delete) {
        return { kind: 'operation', did, seq, rev, time, action: 'delete', collection, rkey, live: false }
      }
      const action = kind === ROW_KIND.update ? 'update' : 'create'
      if (prepared !== undefined) {
        const { cid, record } = prepared
        return { kind: 'operation', did, seq, rev, time, action, collection, rkey, cid, record, live: false }
      }
      let record: unknown
      try {
        record = decode(row.payload)
      } catch (err) {
        return new DecodeError('invalid_record', `archive row seq=${seq}: record is not DAG-CBOR`, {
          cause: err,
        })
      }
      if (!isMap(record)) return bad(row, 'record is not a map', 'invalid_record')
      return {
        kind: 'operation',
        did,
        seq,
        rev,
        time,
        action,
        collection,
        rkey,
        cid: recordCid(row.payload),
        record,
        live: false,
      }
    }
    case ROW_KIND.identity:
    case ROW_KIND.account:
    case ROW_KIND.sync:
      return markerEvent(row, time)
    default:
      return new DecodeError('unknown_kind', `archive row seq=${seq}: unknown row kind ${kind}`)
  }
}

/** identity/account/sync: the fields from the wrapped relay event, Jetstream's seq and time outside */
function markerEvent(row: SegmentRow, time: string): AtprotoEvent | DecodeError {
  const { seq, did } = row
  let body: unknown
  try {
    body = decode(row.payload)
  } catch (err) {
    return new DecodeError('invalid_event', `archive row seq=${seq}: marker body is not DAG-CBOR`, {
      cause: err,
    })
  }
  if (!isMap(body)) return bad(row, 'marker body is not a map')
  const relay = relayStamp(body)
  if (relay === undefined) return bad(row, 'marker body has no relay seq and time')
  switch (row.kind) {
    case ROW_KIND.identity: {
      const handle = optionalString(body.handle)
      if (handle === false) return bad(row, 'handle is not a string')
      return handle === undefined
        ? { kind: 'identity', did, seq, time, live: false, relay }
        : { kind: 'identity', did, seq, time, handle, live: false, relay }
    }
    case ROW_KIND.account: {
      const { active } = body
      const status = optionalString(body.status)
      if (typeof active !== 'boolean' || status === false)
        return bad(row, 'active or status missing or of the wrong type')
      return status === undefined
        ? { kind: 'account', did, seq, time, active, live: false, relay }
        : { kind: 'account', did, seq, time, active, status, live: false, relay }
    }
    default: {
      const rev = typeof body.rev === 'string' ? body.rev : row.rev
      return { kind: 'sync', did, seq, rev, time, live: false, relay }
    }
  }
}

function relayStamp(body: Record<string, unknown>): { seq: number; time: string } | undefined {
  const { seq, time } = body
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || typeof time !== 'string') return undefined
  return { seq: seq as number, time }
}
