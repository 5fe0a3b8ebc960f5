// One Tap /channel text frame (JSON) → its outbox id and at most one canonical event (which
// carries the id as `tapId`). Never throws on bad input: what cannot be used becomes a
// DecodeError carrying its DropReason.
//
//   {"id":N,"type":"record","record":{live,did,rev,collection,rkey,action,cid?,record?}}
//   {"id":N,"type":"identity"|"user","identity"|"user":{did,handle,is_active|isActive,status}}
//
// Tap (indigo cmd/tap types.go) writes `identity` / `is_active`; its README and the Go
// original's client use `user` / `isActive`: both type names, both body keys and both field
// spellings are accepted. Unknown fields are ignored (forward compatibility).
//
// Shapes are checked strictly: a field of the wrong type, a DID, collection or rkey that breaks
// the atproto syntax, a create/update without its cid, is a drop, never a half-filled event.
// A create/update without `record` is what Tap sends when it could not decode the record's
// CBOR; relay mode drops the same op as `invalid_record`, so Tap mode does too.
import { DecodeError, type DropReason } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isDid, isNsid, isRecordKey } from '../../events/atproto-syntax.ts'
import { MAX_RECORD_DEPTH } from '../../events/record-limits.ts'
import { isoTime, operationTime } from './tap-timestamp.ts'

export interface ParsedTapMessage {
  /** Tap's outbox id when the frame has a usable one (a non-negative safe integer): only then can it be acked */
  readonly id?: number
  /** the event, unless the frame was dropped */
  readonly event?: AtprotoEvent
  /** why the frame was dropped; `id` is still set when the frame had one */
  readonly drop?: DecodeError
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

/** the outbox id Tap acks by: its row id, an unsigned integer */
function usableId(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined
}

/** whether `text` holds more than `limit` '{' and '[' in all (else no value in it can nest deeper) */
function hasMoreOpenersThan(text: string, limit: number): boolean {
  let n = 0
  for (const opener of ['{', '[']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) if (++n > limit) return true
  }
  return false
}

/** whether `value` has more than `limit` levels of nested objects/arrays (recursion bounded by `limit`) */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (limit === 0) return true
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeperThan(item, limit - 1)) return true
    return false
  }
  for (const key in value)
    if (nestsDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true
  return false
}

const drop = (id: number | undefined, reason: DropReason, message: string): ParsedTapMessage =>
  id === undefined
    ? { drop: new DecodeError(reason, message) }
    : { id, drop: new DecodeError(reason, `tap event id=${id}: ${message}`) }

/** `receivedAtMs`: when the frame arrived (the base of the timestamp rule, see tap-timestamp.ts) */
export function parseTapMessage(text: string, receivedAtMs: number): ParsedTapMessage {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch (err) {
    return drop(undefined, 'malformed_frame', `not JSON: ${(err as Error).message}`)
  }
  if (!isPlainObject(msg)) return drop(undefined, 'invalid_event', 'frame is not a JSON object')
  const id = usableId(msg.id)
  if (id === undefined) {
    // still parsed so the log says what it was; without an id it cannot be acked
    return drop(undefined, 'invalid_event', `no usable id (${JSON.stringify(msg.id) ?? 'absent'})`)
  }
  const type = msg.type
  if (typeof type !== 'string') return drop(id, 'invalid_event', 'type is not a string')
  switch (type) {
    case 'record':
      return parseRecord(id, msg.record, receivedAtMs, text)
    case 'identity':
    case 'user':
      return parseIdentity(id, type, msg[type] ?? msg[type === 'user' ? 'identity' : 'user'], receivedAtMs)
    default:
      return drop(id, 'unknown_kind', `unknown event type ${JSON.stringify(type.slice(0, 64))}`)
  }
}

function parseRecord(id: number, body: unknown, receivedAtMs: number, text: string): ParsedTapMessage {
  if (!isPlainObject(body)) return drop(id, 'invalid_event', 'record event without a record object')
  const { live, did, rev, collection, rkey, action } = body
  if (typeof live !== 'boolean') return drop(id, 'invalid_event', 'live is not a boolean')
  if (!isDid(did)) return drop(id, 'invalid_event', 'did is not a DID')
  if (typeof rev !== 'string' || rev === '') return drop(id, 'invalid_event', 'rev is not a string')
  if (!isNsid(collection)) return drop(id, 'invalid_event', 'collection is not an NSID')
  if (!isRecordKey(rkey)) return drop(id, 'invalid_event', 'rkey is not a record key')
  const where = `${did}/${collection}/${rkey}`
  if (action === 'delete') {
    return {
      id,
      event: {
        kind: 'operation',
        did,
        tapId: id,
        rev,
        time: operationTime(action, undefined, rkey, receivedAtMs),
        action,
        collection,
        rkey,
        live,
      },
    }
  }
  if (action !== 'create' && action !== 'update') {
    return drop(id, 'invalid_event', `${where}: action ${JSON.stringify(action)} is not create/update/delete`)
  }
  const { cid, record } = body
  if (typeof cid !== 'string' || cid === '')
    return drop(id, 'invalid_event', `${where}: ${action} without a cid`)
  if (record === undefined || record === null) {
    return drop(id, 'invalid_record', `${where}: ${action} without a record (Tap could not decode it)`)
  }
  if (!isPlainObject(record)) return drop(id, 'invalid_record', `${where}: record is not an object`)
  // JSON.stringify downstream is recursive: a record nesting deeper would throw on every retry.
  // Each level opens with '{' or '[': only a frame with more of them than the limit is walked.
  if (hasMoreOpenersThan(text, MAX_RECORD_DEPTH) && nestsDeeperThan(record, MAX_RECORD_DEPTH)) {
    return drop(id, 'invalid_record', `${where}: record nests deeper than ${MAX_RECORD_DEPTH}`)
  }
  return {
    id,
    event: {
      kind: 'operation',
      did,
      tapId: id,
      rev,
      time: operationTime(action, record, rkey, receivedAtMs),
      action,
      collection,
      rkey,
      cid,
      record,
      live,
    },
  }
}

function parseIdentity(id: number, type: string, body: unknown, receivedAtMs: number): ParsedTapMessage {
  if (!isPlainObject(body)) return drop(id, 'invalid_event', `${type} event without an identity object`)
  const { did, handle, status } = body
  const isActive = body.is_active ?? body.isActive
  if (!isDid(did)) return drop(id, 'invalid_event', `${type}: did is not a DID`)
  if (typeof isActive !== 'boolean')
    return drop(id, 'invalid_event', `${type} ${did}: is_active is not a boolean`)
  if (handle !== undefined && handle !== null && typeof handle !== 'string') {
    return drop(id, 'invalid_event', `${type} ${did}: handle is not a string`)
  }
  if (status !== undefined && status !== null && typeof status !== 'string') {
    return drop(id, 'invalid_event', `${type} ${did}: status is not a string`)
  }
  return {
    id,
    event: {
      kind: 'identity',
      did,
      tapId: id,
      time: isoTime(receivedAtMs),
      handle: handle ?? undefined,
      isActive,
      status: status ?? undefined,
    },
  }
}
