// Osprey action ids derived from the event itself (--osprey-action-id event), so that an event
// produced again after a crash (delivery is at-least-once) carries the id it had the first time.
// Osprey's Snowflake layout (snowflake.ts): milliseconds since 2015-01-01 from bit 22 up, and
// in the 22 low bits the event's identity instead of a worker id and a sequence:
//
//   relay (seq):   (seq mod 2^14) * 2^8 + (opIndex mod 2^8)   op index within its #commit
//   Tap (tapId):   tapId mod 2^22                              Tap's outbox id
//   Ozone (id):    id mod 2^22                                 the moderation event's id
//   label (seq):   (seq mod 2^14) * 2^8 + (index mod 2^8)      the labeler's seq, index in its frame
//   otherwise:     a 22-bit FNV-1a hash of the event           (relay #info only, today)
//
// The time bits are the event's own time (what send_time carries), clamped to the 41 bits
// Osprey's layout has (2015-01-01 … 2084); an unparseable time takes the wall clock, as
// send_time does (such an event gets a new id when produced again).
//
// Collision bound. Two distinct events get the same id only if their times fall in the same
// millisecond AND their low bits are equal: for relay events, seqs congruent mod 16,384 and op
// indexes congruent mod 256 (a relay #commit holds at most 200 ops); for Tap events, ids
// congruent mod 4,194,304 (Ozone events likewise by their ids); for hashed events, a 2^-22
// chance per pair. So relay events less
// than 16,384 seqs apart, and Tap events less than 4,194,304 ids apart, never share an id. On
// the live firehose, events stamped with the same millisecond are a few seqs apart; a PDS
// whose commits reach the relay 16,384 seqs late with a repeated millisecond is the case left.
// Ids are unique per source: two atkafka instances feeding one Osprey with event ids (two
// relays, or a relay and a Tap) can collide; give them Snowflake ids (the default) instead.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { timeMs } from '../events/event-time.ts'
import { OSPREY_EPOCH_MS } from './snowflake.ts'

/** where the encoder gets each event's Osprey action_id (a decimal int64) */
export interface ActionIds {
  next(event: AtprotoEvent): string
}

export const SEQ_WINDOW = 2 ** 14
export const OP_SLOTS = 2 ** 8
export const TAP_WINDOW = 2 ** 22
const MAX_ELAPSED_MS = 2 ** 41 - 1

/** the 22 low bits: the event's identity (see the table above) */
export function identityBits(event: AtprotoEvent): number {
  if (event.kind === 'moderation') return event.id % TAP_WINDOW
  if (event.kind === 'label') return (event.seq % SEQ_WINDOW) * OP_SLOTS + (event.index % OP_SLOTS)
  if (event.kind !== 'info') {
    if (event.seq !== undefined) {
      const opIndex = event.kind === 'operation' ? (event.opIndex ?? 0) : 0
      return (event.seq % SEQ_WINDOW) * OP_SLOTS + (opIndex % OP_SLOTS)
    }
    if (event.kind !== 'account' && event.kind !== 'sync' && event.tapId !== undefined)
      return event.tapId % TAP_WINDOW
  }
  return fnv1a(JSON.stringify(event)) % TAP_WINDOW
}

/** 32-bit FNV-1a over UTF-16 code units */
function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** the id of `event`: the same for the same event, whenever and however often it is encoded */
export function eventActionId(event: AtprotoEvent, now: () => number = Date.now): string {
  let ms = timeMs(event.time)
  if (!Number.isFinite(ms)) ms = now()
  const elapsed = Math.min(Math.max(Math.floor(ms - OSPREY_EPOCH_MS), 0), MAX_ELAPSED_MS)
  return ((BigInt(elapsed) << 22n) | BigInt(identityBits(event))).toString()
}

export function createEventActionIds(now: () => number = Date.now): ActionIds {
  return { next: (event) => eventActionId(event, now) }
}
