// One frame of an atproto event stream (an XRPC subscription: subscribeRepos, subscribeLabels):
// a DAG-CBOR header {op, t} then a DAG-CBOR body. op 1 is a message of type t, op -1 an error
// frame {error, message?}. This reads the framing every subscription shares; what a message's
// body holds is the stream's own (relay/decode-frame.ts, the labels source).
//
// Never throws on bad input: what cannot be used is a drop (a DecodeError carrying its reason),
// with the body's seq kept whenever it has one, so the cursor can still move past it. A body
// larger than its type allows is dropped before it is decoded, without its seq: decoding takes
// up to ~64 bytes of heap per byte, so an 8 MB body could take half a gigabyte.
import { decodeFirst } from '@atcute/cbor'
import { DecodeError, type DropReason } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isMap, optionalString, seqOf } from './body-fields.ts'

/** what one frame of a stream decodes to, whatever the stream */
export interface DecodedFrame {
  /** the frame's seq when it has one (an integer seq in its body) */
  readonly seq?: number
  /** the events decoded from it (a relay #commit: one per op) */
  readonly events: AtprotoEvent[]
  /** what was dropped while decoding this frame, each a DecodeError carrying its DropReason; the caller counts them */
  readonly drops: DecodeError[]
  /** estimated heap bytes of the decoded records; absent without records */
  readonly recordBytes?: number
  /** an error frame (header op -1): {error, message?} from its body */
  readonly error?: { readonly name: string; readonly message?: string }
}

/** what a stream's lexicon says about its frames */
export interface StreamLexicon {
  /** the message types it defines (`#commit`, `#labels`, `#info`, …) */
  readonly types: ReadonlySet<string>
  /** the largest body a message of this type may have; undefined: an error frame or a frame of no known shape */
  maxBodyBytes(type: string | undefined): number
}

/**
 * A stream's message decoder: a message whose framing is sound (its type, its body, a map, and
 * the body's seq) → what the frame holds. `context` is passed through (e.g. the clock).
 */
export type MessageDecoder<C> = (
  type: string,
  body: Record<string, unknown>,
  seq: number | undefined,
  context: C,
) => DecodedFrame

const OP_MESSAGE = 1
const OP_ERROR = -1

/** The frame decoded: its message by `decodeMessage`, or what it is instead (an error frame, a drop). */
export function readStreamFrame<C>(
  bytes: Uint8Array,
  lexicon: StreamLexicon,
  decodeMessage: MessageDecoder<C>,
  context: C,
): DecodedFrame {
  let header: unknown
  let body: unknown
  let rest: Uint8Array
  try {
    ;[header, rest] = decodeFirst(bytes)
  } catch (err) {
    return malformed('header is not DAG-CBOR', undefined, err)
  }
  const type =
    isMap(header) && header.op === OP_MESSAGE && typeof header.t === 'string' ? header.t : undefined
  const limit = lexicon.maxBodyBytes(type)
  if (rest.length > limit) return tooLarge(header, rest.length, limit, lexicon)
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

  if (header.op === OP_ERROR) return errorFrame(body)
  const seq = seqOf(body, bodyBytes)
  if (header.op !== OP_MESSAGE) return dropped('unknown_kind', `unknown header op ${header.op}`, seq)
  const t = header.t
  if (typeof t !== 'string') return malformed('message header without t', seq)
  return decodeMessage(t, body, seq, context)
}

/** a body past `limit`, dropped undecoded: for its type, a lexicon limit; without one, what it is */
function tooLarge(header: unknown, bytes: number, limit: number, lexicon: StreamLexicon): DecodedFrame {
  const type = isMap(header) && typeof header.t === 'string' ? header.t.slice(0, 64) : undefined
  const op = isMap(header) ? header.op : undefined
  const reason: DropReason =
    !isMap(header) || !Number.isSafeInteger(op)
      ? 'malformed_frame'
      : op === OP_ERROR || (op === OP_MESSAGE && type !== undefined && lexicon.types.has(type))
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

function errorFrame(body: Record<string, unknown>): DecodedFrame {
  const { error: name } = body
  const message = optionalString(body.message)
  if (typeof name !== 'string' || message === false) {
    return invalidFields('error frame', 'error or message', undefined)
  }
  return { events: [], drops: [], error: message === undefined ? { name } : { name, message } }
}

/** a frame dropped whole, with its seq when known */
export function dropped(
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

/** a message whose fields are missing or of the wrong type (`invalid_event`) */
export function invalidFields(type: string, fields: string, seq: number | undefined): DecodedFrame {
  const drop = new DecodeError(
    'invalid_event',
    `${type}${seq === undefined ? '' : ` seq=${seq}`}: ${fields} missing or of the wrong type`,
  )
  return seq === undefined ? { events: [], drops: [drop] } : { seq, events: [], drops: [drop] }
}
