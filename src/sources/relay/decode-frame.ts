// One subscribeRepos websocket frame (DAG-CBOR header {op, t} then DAG-CBOR body) → events.
// Never throws on bad input: what cannot be used becomes a DecodeError in `drops`, with the
// frame's seq kept whenever the body has one so the cursor can still move past it.
//
// What the data model forbids but @atcute/cbor accepts is decided here, on purpose:
// - A body larger than its type allows is dropped before it is decoded (`lexicon_limit`, or
//   `unknown_kind` / `malformed_frame` for a frame of no known type), without its seq: decoding
//   takes up to ~64 bytes of heap per byte (arrays of empty maps), so an 8 MB body could take
//   half a gigabyte. A #commit may hold 2,000,000 bytes of blocks and 200 ops (lexicon); 256 KiB
//   is left for the rest (200 ops of the longest valid paths take ~190 KB). Any other body is
//   small by its lexicon (#sync blocks ≤ 10,000 bytes): 64 KiB.
// - A seq must be a non-negative safe integer written as an integer: a float (even 5.0, which
//   DAG-CBOR forbids for integers) or a fraction is no seq; a #commit without one is invalid.
// - DIDs (the Kafka key) and record paths must have atproto syntax (events/atproto-syntax.ts):
//   a 50 KB "DID" is an invalid_event, not a key. Commits over the lexicon's 200 ops or
//   2,000,000 bytes of blocks are dropped whole (`lexicon_limit`), never cut.
import { decodeFirst } from '@atcute/cbor'
import { DecodeError, type DropReason } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isDid } from '../../events/atproto-syntax.ts'
import { isMap, optionalString, seqOf, shown } from './body-fields.ts'
import { decodeCommit, MAX_COMMIT_BLOCKS_BYTES } from './decode-commit.ts'

/** a #commit body past this cannot hold ≤ 2,000,000 bytes of blocks and ≤ 200 ops with valid paths */
export const MAX_COMMIT_BODY_BYTES = MAX_COMMIT_BLOCKS_BYTES + 256 * 1024
/** any other body: #identity, #account, #sync (≤ 10,000 bytes of blocks), #info, error frames */
export const MAX_OTHER_BODY_BYTES = 64 * 1024

const KNOWN_TYPES = new Set(['#commit', '#identity', '#account', '#sync', '#info'])

export interface DecodedFrame {
  /** the frame's seq when it has one (#commit, #sync, #identity, #account; an unknown type whose body has an integer seq) */
  readonly seq?: number
  /** decoded events: one OperationEvent per op of a #commit (in op order), or one identity/account/sync/info event */
  readonly events: AtprotoEvent[]
  /** what was dropped while decoding this frame, each a DecodeError carrying its DropReason; the caller counts them */
  readonly drops: DecodeError[]
  /** estimated heap bytes of the decoded records (see decodeCommit); absent without records */
  readonly recordBytes?: number
  /** an error frame (header op -1): {error, message?} from its body */
  readonly error?: { readonly name: string; readonly message?: string }
}

const OP_MESSAGE = 1
const OP_ERROR = -1

export function decodeFrame(bytes: Uint8Array, receivedAt: () => string): DecodedFrame {
  let header: unknown
  let body: unknown
  let rest: Uint8Array
  try {
    ;[header, rest] = decodeFirst(bytes)
  } catch (err) {
    return malformed('header is not DAG-CBOR', undefined, err)
  }
  const isCommit = isMap(header) && header.op === OP_MESSAGE && header.t === '#commit'
  const limit = isCommit ? MAX_COMMIT_BODY_BYTES : MAX_OTHER_BODY_BYTES
  if (rest.length > limit) return tooLarge(header, rest.length, limit)
  const bodyBytes = rest
  try {
    ;[body, rest] = decodeFirst(rest)
  } catch (err) {
    return malformed('body is not DAG-CBOR', undefined, err)
  }
  if (rest.length !== 0) return malformed(`${rest.length} bytes after the body`, seqOf(body, bodyBytes))
  if (!isMap(header) || !Number.isSafeInteger(header.op)) {
    return malformed('header is not {op, t}', seqOf(body, bodyBytes))
  }
  if (!isMap(body)) return malformed('body is not a map', undefined)

  if (header.op === OP_ERROR) return decodeError(body)
  const seq = seqOf(body, bodyBytes)
  if (header.op !== OP_MESSAGE) return dropped('unknown_kind', `unknown header op ${header.op}`, seq)
  const t = header.t
  if (typeof t !== 'string') return malformed('message header without t', seq)

  const events: AtprotoEvent[] = []
  const drops: DecodeError[] = []
  switch (t) {
    case '#commit': {
      if (seq === undefined) return invalid(t, 'seq (an integer)', undefined)
      const recordBytes = decodeCommit(body, seq, events, drops)
      return recordBytes > 0 ? { seq, events, drops, recordBytes } : { seq, events, drops }
    }
    case '#identity': {
      const { did, time } = body
      const handle = optionalString(body.handle)
      if (seq === undefined || typeof did !== 'string' || typeof time !== 'string' || handle === false) {
        return invalid(t, 'seq, did, time or handle', seq)
      }
      if (!isDid(did)) return badDid(t, did, seq)
      events.push(
        handle === undefined
          ? { kind: 'identity', did, seq, time }
          : { kind: 'identity', did, seq, time, handle },
      )
      return { seq, events, drops }
    }
    case '#account': {
      const { did, time, active } = body
      const status = optionalString(body.status)
      if (
        seq === undefined ||
        typeof did !== 'string' ||
        typeof time !== 'string' ||
        typeof active !== 'boolean' ||
        status === false
      ) {
        return invalid(t, 'seq, did, time, active or status', seq)
      }
      if (!isDid(did)) return badDid(t, did, seq)
      events.push(
        status === undefined
          ? { kind: 'account', did, seq, time, active }
          : { kind: 'account', did, seq, time, active, status },
      )
      return { seq, events, drops }
    }
    case '#sync': {
      // blocks hold only the signed commit: a records-only consumer has no use for it
      const { did, rev, time } = body
      if (
        seq === undefined ||
        typeof did !== 'string' ||
        typeof rev !== 'string' ||
        typeof time !== 'string'
      ) {
        return invalid(t, 'seq, did, rev or time', seq)
      }
      if (!isDid(did)) return badDid(t, did, seq)
      events.push({ kind: 'sync', did, seq, rev, time })
      return { seq, events, drops }
    }
    case '#info': {
      const { name } = body
      const message = optionalString(body.message)
      if (typeof name !== 'string' || message === false) return invalid(t, 'name or message', undefined)
      events.push(
        message === undefined
          ? { kind: 'info', name, time: receivedAt() }
          : { kind: 'info', name, message, time: receivedAt() },
      )
      return { events, drops }
    }
    default:
      // includes #handle, #migrate and #tombstone, removed from the protocol in Feb 2025
      return dropped('unknown_kind', `unknown message type ${JSON.stringify(t)}`, seq)
  }
}

/** a body past `limit`, dropped undecoded: for its type, a lexicon limit; without one, what it is */
function tooLarge(header: unknown, bytes: number, limit: number): DecodedFrame {
  const type = isMap(header) && typeof header.t === 'string' ? header.t.slice(0, 64) : undefined
  const op = isMap(header) ? header.op : undefined
  const reason: DropReason =
    !isMap(header) || !Number.isSafeInteger(op)
      ? 'malformed_frame'
      : op === OP_ERROR || (op === OP_MESSAGE && type !== undefined && KNOWN_TYPES.has(type))
        ? 'lexicon_limit'
        : 'unknown_kind'
  const what = op === OP_ERROR ? 'error frame' : (type ?? 'frame')
  return {
    events: [],
    drops: [
      new DecodeError(
        reason,
        `${what}: body of ${bytes} bytes is over the ${limit} its type allows; not decoded`,
      ),
    ],
  }
}

function badDid(type: string, did: string, seq: number): DecodedFrame {
  return {
    seq,
    events: [],
    drops: [new DecodeError('invalid_event', `${type} seq=${seq}: did ${shown(did)} is not a DID`)],
  }
}

function decodeError(body: Record<string, unknown>): DecodedFrame {
  const { error: name } = body
  const message = optionalString(body.message)
  if (typeof name !== 'string' || message === false) {
    return invalid('error frame', 'error or message', undefined)
  }
  return { events: [], drops: [], error: message === undefined ? { name } : { name, message } }
}

function dropped(
  reason: 'unknown_kind' | 'malformed_frame',
  what: string,
  seq: number | undefined,
  cause?: unknown,
): DecodedFrame {
  const drop = new DecodeError(reason, what, cause === undefined ? undefined : { cause })
  return seq === undefined ? { events: [], drops: [drop] } : { seq, events: [], drops: [drop] }
}

function malformed(what: string, seq: number | undefined, cause?: unknown): DecodedFrame {
  return dropped('malformed_frame', `malformed frame: ${what}`, seq, cause)
}

function invalid(type: string, fields: string, seq: number | undefined): DecodedFrame {
  const drop = new DecodeError(
    'invalid_event',
    `${type}${seq === undefined ? '' : ` seq=${seq}`}: ${fields} missing or of the wrong type`,
  )
  return seq === undefined ? { events: [], drops: [drop] } : { seq, events: [], drops: [drop] }
}
