// `--format jetstream`: what bluesky-social/jetstream's v1 `/subscribe` socket sends its
// subscribers, one JSON object per event, so Jetstream consumer code reads a Kafka topic unchanged:
//   {"did","time_us","kind":"commit","commit":{"rev","operation","collection","rkey","record","cid"}}
//   {"did","time_us","kind":"identity","identity":{"did","handle","seq","time"}}
//   {"did","time_us","kind":"account","account":{"active","did","seq","status","time"}}
// Key order is Jetstream's; records are written as decoded (their keys in DAG-CBOR order, where
// Jetstream sorts them: same JSON value). Jetstream v1 sends no #sync and no #info, so neither
// has a shape here (the pipeline leaves them out in this format). `time_us` is atkafka's own
// clock, as Jetstream's is its own: see createMicrosClock.
import type { AtprotoEvent } from '../events/atproto-event.ts'

/** the events Jetstream v1 has a shape for */
export type JetstreamSourceEvent = Extract<AtprotoEvent, { kind: 'operation' | 'identity' | 'account' }>

export function isJetstreamEvent(event: AtprotoEvent): event is JetstreamSourceEvent {
  return event.kind === 'operation' || event.kind === 'identity' || event.kind === 'account'
}

/**
 * The Jetstream v1 event as a JSON-ready value (undefined fields are left out, as Jetstream's
 * `omitempty` does). Tap identity events have no relay seq: `seq` is left out; their
 * isActive/status have no place in Jetstream's identity shape.
 */
function toJetstreamEvent(event: JetstreamSourceEvent, timeUs: number): object {
  switch (event.kind) {
    case 'operation': {
      const isDelete = event.action === 'delete'
      return {
        did: event.did,
        time_us: timeUs,
        kind: 'commit',
        commit: {
          rev: event.rev,
          operation: event.action,
          collection: event.collection,
          rkey: event.rkey,
          record: isDelete ? undefined : event.record,
          cid: isDelete ? undefined : event.cid,
        },
      }
    }
    case 'identity':
      return {
        did: event.did,
        time_us: timeUs,
        kind: 'identity',
        // from Jetstream v2: the relay's seq and time, as Jetstream itself serves them
        identity: {
          did: event.did,
          handle: event.handle,
          seq: event.relay?.seq ?? event.seq,
          time: event.relay?.time ?? event.time,
        },
      }
    case 'account':
      return {
        did: event.did,
        time_us: timeUs,
        kind: 'account',
        account: {
          active: event.active,
          did: event.did,
          seq: event.relay?.seq ?? event.seq,
          status: event.status,
          time: event.relay?.time ?? event.time,
        },
      }
  }
}

export function toJetstreamJson(event: JetstreamSourceEvent, timeUs: number): string {
  return JSON.stringify(toJetstreamEvent(event, timeUs))
}

/**
 * `time_us`: microseconds since the Unix epoch when atkafka encoded the event, from the wall
 * clock (millisecond resolution) made strictly increasing, as Jetstream's monotonic clock is:
 * events encoded within one millisecond get successive microseconds, and a clock stepped back
 * never makes a value repeat or go back within one process. `nowMs` is for tests.
 */
export function createMicrosClock(nowMs: () => number = Date.now): () => number {
  let last = 0
  return () => {
    const us = nowMs() * 1000
    last = us > last ? us : last + 1
    return last
  }
}
