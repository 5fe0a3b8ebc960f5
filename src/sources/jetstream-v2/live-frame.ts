// One subscribeEvents websocket message → events. Pure; never throws on bad input (what cannot
// be used becomes a DecodeError in `drops`, with the seq kept when the payload has one, so the
// cursor moves past it). Frames are proposal-0015 JSON:
//   {"$type":"message","payload":{"$type":"network.bsky.jetstream.subscribeEvents#commit", …}}
//   {"$type":"error","error":"ConsumerTooSlow","message":"…"}   (terminal: the server closes)
// With ?zstdDictionary=<id> each message is one zstd frame (made with that dictionary) of the
// same JSON text. `record` is the atproto JSON data model and passes through as parsed, but for
// `$bytes`, which the data model lets a writer pad or not: read either way, written unpadded
// (as @atcute/cbor writes bytes decoded from the archive), so equal records give equal JSON.
import { zstdDecompressSync } from 'node:zlib'
import { BytesWrapper, fromBytes } from '@atcute/cbor'
import { DecodeError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isDid, isNsid, isRecordKey } from '../../events/atproto-syntax.ts'
import { isMap, optionalString, shown } from '../event-stream/body-fields.ts'

const TYPE_PREFIX = 'network.bsky.jetstream.subscribeEvents#'
/** largest decompressed message read (the server's own frames are a record plus a few hundred bytes) */
const MAX_LIVE_MESSAGE_BYTES = 8 * 1024 * 1024

export interface LiveFrame {
  /** Jetstream's seq (every message but #info and errors has one) */
  readonly seq?: number
  readonly events: AtprotoEvent[]
  readonly drops: DecodeError[]
  /** an error frame: the server closes the connection after it */
  readonly error?: { readonly name: string; readonly message?: string }
}

/** a dict-zstd message → its JSON text; throws DecodeError (malformed_frame) when it does not decompress */
export function inflateMessage(data: Uint8Array, dictionary: Uint8Array): Buffer {
  try {
    return zstdDecompressSync(data, { dictionary, maxOutputLength: MAX_LIVE_MESSAGE_BYTES } as never)
  } catch (err) {
    throw new DecodeError(
      'malformed_frame',
      `zstd message of ${data.length} bytes does not decompress with the dictionary`,
      {
        cause: err,
      },
    )
  }
}

function drop(reason: DecodeError['reason'], what: string, seq?: number, cause?: unknown): LiveFrame {
  const error = new DecodeError(reason, what, cause === undefined ? undefined : { cause })
  return seq === undefined ? { events: [], drops: [error] } : { seq, events: [], drops: [error] }
}

function seqOf(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined
}

/** `text`: the message's JSON; `receivedAt` stamps #info (which carries no time) */
export function decodeLiveMessage(text: string, receivedAt: () => string): LiveFrame {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch (err) {
    return drop('malformed_frame', `message of ${text.length} characters is not JSON`, undefined, err)
  }
  if (!isMap(frame)) return drop('malformed_frame', 'message is not a JSON object')
  if (frame.$type === 'error') {
    const message = optionalString(frame.message)
    if (typeof frame.error !== 'string' || message === false) {
      return drop('invalid_event', 'error frame without an error name')
    }
    return {
      events: [],
      drops: [],
      error: message === undefined ? { name: frame.error } : { name: frame.error, message },
    }
  }
  const payload = frame.payload
  if (frame.$type !== 'message' || !isMap(payload) || typeof payload.$type !== 'string') {
    return drop('malformed_frame', 'message is not {"$type":"message","payload":{"$type",…}}')
  }
  const type = payload.$type.startsWith(TYPE_PREFIX) ? payload.$type.slice(TYPE_PREFIX.length) : undefined
  const seq = seqOf(payload.seq)
  if (type === 'info') {
    const message = optionalString(payload.message)
    if (typeof payload.name !== 'string' || message === false)
      return drop('invalid_event', '#info without a name')
    const time = receivedAt()
    return {
      events: [
        message === undefined
          ? { kind: 'info', name: payload.name, time }
          : { kind: 'info', name: payload.name, message, time },
      ],
      drops: [],
    }
  }
  if (type !== 'commit' && type !== 'identity' && type !== 'account' && type !== 'sync') {
    return drop('unknown_kind', `unknown message type ${shown(payload.$type)}`, seq)
  }
  const { did, time } = payload
  if (seq === undefined || typeof did !== 'string' || typeof time !== 'string') {
    return drop('invalid_event', `#${type}: seq, did or time missing or of the wrong type`, seq)
  }
  if (!isDid(did)) return drop('invalid_event', `#${type} seq=${seq}: did ${shown(did)} is not a DID`, seq)
  const event =
    type === 'commit'
      ? commitEvent(payload, seq, did, time, text.includes('"$bytes"'))
      : markerEvent(type, payload, seq, did, time)
  return event instanceof DecodeError
    ? { seq, events: [], drops: [event] }
    : { seq, events: [event], drops: [] }
}

function commitEvent(
  payload: Record<string, unknown>,
  seq: number,
  did: string,
  time: string,
  hasBytes: boolean,
): AtprotoEvent | DecodeError {
  const { rev, operation, collection, rkey } = payload
  const where = `#commit seq=${seq} did=${did}`
  if (typeof rev !== 'string' || typeof collection !== 'string' || typeof rkey !== 'string') {
    return new DecodeError('invalid_event', `${where}: rev, collection or rkey missing`)
  }
  if (!isNsid(collection) || !isRecordKey(rkey)) {
    return new DecodeError(
      'invalid_event',
      `${where}: path ${shown(`${collection}/${rkey}`)} is not <NSID>/<record key>`,
    )
  }
  if (operation === 'delete') {
    return { kind: 'operation', did, seq, rev, time, action: 'delete', collection, rkey, live: true }
  }
  const { cid, record } = payload
  if ((operation !== 'create' && operation !== 'update') || typeof cid !== 'string' || !isMap(record)) {
    return new DecodeError('invalid_event', `${where}: operation, cid or record missing or of the wrong type`)
  }
  let value: unknown = record
  try {
    // most records hold no bytes: only a message that mentions $bytes is walked
    if (hasBytes) value = withUnpaddedBytes(record)
  } catch (err) {
    return new DecodeError('invalid_record', `${where}: a $bytes value is not base64`, { cause: err })
  }
  return {
    kind: 'operation',
    did,
    seq,
    rev,
    time,
    action: operation,
    collection,
    rkey,
    cid,
    record: value,
    live: true,
  }
}

function markerEvent(
  type: 'identity' | 'account' | 'sync',
  payload: Record<string, unknown>,
  seq: number,
  did: string,
  time: string,
): AtprotoEvent | DecodeError {
  const inner = payload[type]
  const where = `#${type} seq=${seq} did=${did}`
  if (!isMap(inner)) return new DecodeError('invalid_event', `${where}: no ${type} object`)
  const relaySeq = seqOf(inner.seq)
  if (relaySeq === undefined || typeof inner.time !== 'string') {
    return new DecodeError('invalid_event', `${where}: the wrapped event has no seq or time`)
  }
  const relay = { seq: relaySeq, time: inner.time }
  switch (type) {
    case 'identity': {
      const handle = optionalString(inner.handle)
      if (handle === false) return new DecodeError('invalid_event', `${where}: handle is not a string`)
      return handle === undefined
        ? { kind: 'identity', did, seq, time, live: true, relay }
        : { kind: 'identity', did, seq, time, handle, live: true, relay }
    }
    case 'account': {
      const status = optionalString(inner.status)
      if (typeof inner.active !== 'boolean' || status === false) {
        return new DecodeError('invalid_event', `${where}: active or status missing or of the wrong type`)
      }
      const active = inner.active
      return status === undefined
        ? { kind: 'account', did, seq, time, active, live: true, relay }
        : { kind: 'account', did, seq, time, active, status, live: true, relay }
    }
    case 'sync': {
      if (typeof inner.rev !== 'string') return new DecodeError('invalid_event', `${where}: no rev`)
      return { kind: 'sync', did, seq, rev: inner.rev, time, live: true, relay }
    }
  }
}

/** the JSON value with every {"$bytes"} read (padded or not) into bytes that serialize unpadded */
function withUnpaddedBytes(value: unknown, depth = 0): unknown {
  if (depth > 128) throw new Error('record nests deeper than 128 levels')
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item = withUnpaddedBytes(value[i], depth + 1)
      if (item === value[i]) continue
      out ??= value.slice()
      out[i] = item
    }
    return out ?? value
  }
  if (!isMap(value)) return value
  if (typeof value.$bytes === 'string' && Object.keys(value).length === 1) {
    return new BytesWrapper(fromBytes({ $bytes: value.$bytes }))
  }
  let out: Record<string, unknown> | undefined
  for (const key in value) {
    const item = withUnpaddedBytes(value[key], depth + 1)
    if (item === value[key]) continue
    out ??= { ...value }
    out[key] = item
  }
  return out ?? value
}
