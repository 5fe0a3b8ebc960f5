// One subscribeRepos websocket frame (DAG-CBOR header {op, t} then DAG-CBOR body) → events.
// Never throws on bad input: what cannot be used becomes a DecodeError in `drops`, with the
// frame's seq kept whenever the body has one so the cursor can still move past it.
import { decodeFirst } from '@atcute/cbor'
import { DecodeError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isMap, optionalString, seqOf } from './body-fields.ts'
import { decodeCommit } from './decode-commit.ts'

export interface DecodedFrame {
  /** the frame's seq when it has one (#commit, #sync, #identity, #account; an unknown type whose body has an integer seq) */
  readonly seq?: number
  /** decoded events: one OperationEvent per op of a #commit (in op order), or one identity/account/sync/info event */
  readonly events: AtprotoEvent[]
  /** what was dropped while decoding this frame, each a DecodeError carrying its DropReason; the caller counts them */
  readonly drops: DecodeError[]
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
  try {
    ;[body, rest] = decodeFirst(rest)
  } catch (err) {
    return malformed('body is not DAG-CBOR', undefined, err)
  }
  if (rest.length !== 0) return malformed(`${rest.length} bytes after the body`, seqOf(body))
  if (!isMap(header) || !Number.isSafeInteger(header.op)) {
    return malformed('header is not {op, t}', seqOf(body))
  }
  if (!isMap(body)) return malformed('body is not a map', undefined)

  if (header.op === OP_ERROR) return decodeError(body)
  const seq = seqOf(body)
  if (header.op !== OP_MESSAGE) return dropped('unknown_kind', `unknown header op ${header.op}`, seq)
  const t = header.t
  if (typeof t !== 'string') return malformed('message header without t', seq)

  const events: AtprotoEvent[] = []
  const drops: DecodeError[] = []
  switch (t) {
    case '#commit':
      if (seq === undefined) return invalid(t, 'seq', undefined)
      decodeCommit(body, seq, events, drops)
      return { seq, events, drops }
    case '#identity': {
      const { did, time } = body
      const handle = optionalString(body.handle)
      if (seq === undefined || typeof did !== 'string' || typeof time !== 'string' || handle === false) {
        return invalid(t, 'seq, did, time or handle', seq)
      }
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
