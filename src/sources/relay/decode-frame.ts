// One subscribeRepos websocket frame → events: the framing (header {op, t}, error frames, the
// body's seq, bodies past their type's limit) is read by event-stream/stream-frame.ts, the
// bodies of #commit, #identity, #account, #sync and #info here. Never throws on bad input:
// what cannot be used becomes a DecodeError in `drops`, with the frame's seq kept whenever the
// body has one so the cursor can still move past it.
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
import { DecodeError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isDid } from '../../events/atproto-syntax.ts'
import { optionalString, shown } from '../event-stream/body-fields.ts'
import {
  type DecodedFrame,
  dropped,
  invalidFields,
  readStreamFrame,
  type StreamLexicon,
} from '../event-stream/stream-frame.ts'
import { decodeCommit, MAX_COMMIT_BLOCKS_BYTES } from './decode-commit.ts'

/** a #commit body past this cannot hold ≤ 2,000,000 bytes of blocks and ≤ 200 ops with valid paths */
export const MAX_COMMIT_BODY_BYTES = MAX_COMMIT_BLOCKS_BYTES + 256 * 1024
/** any other body: #identity, #account, #sync (≤ 10,000 bytes of blocks), #info, error frames */
export const MAX_OTHER_BODY_BYTES = 64 * 1024

const KNOWN_TYPES = new Set(['#commit', '#identity', '#account', '#sync', '#info'])

/** subscribeRepos' message types and the body each may have */
export const SUBSCRIBE_REPOS: StreamLexicon = {
  types: KNOWN_TYPES,
  maxBodyBytes: (type) => (type === '#commit' ? MAX_COMMIT_BODY_BYTES : MAX_OTHER_BODY_BYTES),
}

export function decodeFrame(bytes: Uint8Array, receivedAt: () => string): DecodedFrame {
  return readStreamFrame(bytes, SUBSCRIBE_REPOS, decodeRepoMessage, receivedAt)
}

/** a subscribeRepos message whose framing is read (stream-frame.ts) → its events */
export function decodeRepoMessage(
  t: string,
  body: Record<string, unknown>,
  seq: number | undefined,
  receivedAt: () => string,
): DecodedFrame {
  const events: AtprotoEvent[] = []
  const drops: DecodeError[] = []
  switch (t) {
    case '#commit': {
      if (seq === undefined) return invalidFields(t, 'seq (an integer)', undefined)
      const recordBytes = decodeCommit(body, seq, events, drops)
      return recordBytes > 0 ? { seq, events, drops, recordBytes } : { seq, events, drops }
    }
    case '#identity': {
      const { did, time } = body
      const handle = optionalString(body.handle)
      if (seq === undefined || typeof did !== 'string' || typeof time !== 'string' || handle === false) {
        return invalidFields(t, 'seq, did, time or handle', seq)
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
        return invalidFields(t, 'seq, did, time, active or status', seq)
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
        return invalidFields(t, 'seq, did, rev or time', seq)
      }
      if (!isDid(did)) return badDid(t, did, seq)
      events.push({ kind: 'sync', did, seq, rev, time })
      return { seq, events, drops }
    }
    case '#info': {
      const { name } = body
      const message = optionalString(body.message)
      if (typeof name !== 'string' || message === false) return invalidFields(t, 'name or message', undefined)
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

function badDid(type: string, did: string, seq: number): DecodedFrame {
  return {
    seq,
    events: [],
    drops: [new DecodeError('invalid_event', `${type} seq=${seq}: did ${shown(did)} is not a DID`)],
  }
}
