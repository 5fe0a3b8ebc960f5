// The Go original's JSON shapes (its README and atkafka/types.go are a public contract), plus
// `seq` (relay, Jetstream v2), `operation.rev` / `operation.live` (Tap, Jetstream v2) and `sync`
// events that its consumers could not see. From Jetstream v2, account, identity and sync
// events carry Jetstream's seq at the top level and the relay's seq inside (the wrapped
// firehose event's own, as in the Go original), and `live` inside. As in the Go original, `eventMetadata` is always written (null when the event
// carries none) and a delete's `record` is null: a consumer that indexes the key (Python's
// event["eventMetadata"]) or tests it against null reads the same as it did (docs/drop-in.md).
// Runs for every event: each kind is one object literal with a fixed key order, and optional
// fields hold `undefined`, which JSON.stringify omits. Records are embedded as decoded, never
// walked: @atcute/cbor's CID and bytes wrappers serialize themselves to {"$link"}/{"$bytes"}.
import type { AtprotoEvent } from '../events/atproto-event.ts'

/** Kafka key of events that have no DID (relay #info), as in the Go original. */
export const NO_DID_KEY = '<unknown>'

export function messageKey(event: AtprotoEvent): string {
  if (event.kind === 'moderation') return event.key
  return event.kind === 'info' ? NO_DID_KEY : event.did
}

/**
 * Passed as `metadata` when the encoder writes `eventMetadata` into the bytes itself (a RawJson,
 * see encode-event.ts): the key is then left out of the value, to be spliced in before the kind.
 */
export const SPLICED_METADATA: unique symbol = Symbol('eventMetadata spliced in by the encoder')

/**
 * The standard event as a JSON-ready value. `metadata` (enrichment) becomes `eventMetadata`,
 * null when undefined; info events never carry any (they have no DID). `splicedRecord`: an
 * operation's record is left out, for the encoder to copy its JSON in as the last key of
 * `operation` (recordOffset).
 */
export function toStandardEvent(event: AtprotoEvent, metadata?: unknown, splicedRecord = false): object {
  const eventMetadata = metadata === SPLICED_METADATA ? undefined : (metadata ?? null)
  switch (event.kind) {
    case 'operation': {
      const path = `${event.collection}/${event.rkey}`
      const isDelete = event.action === 'delete'
      return {
        did: event.did,
        timestamp: event.time,
        seq: event.seq,
        eventMetadata,
        operation: {
          action: event.action,
          collection: event.collection,
          rkey: event.rkey,
          uri: `at://${event.did}/${path}`,
          // the Go original writes "" for deletes
          cid: isDelete ? '' : (event.cid ?? ''),
          path,
          rev: event.rev,
          live: event.live,
          // the Go original writes null for deletes
          record: isDelete ? null : splicedRecord ? undefined : event.record,
        },
      }
    }
    case 'account':
      return {
        did: event.did,
        timestamp: event.time,
        seq: event.seq,
        eventMetadata,
        account: {
          active: event.active,
          seq: event.relay?.seq ?? event.seq,
          status: event.status,
          live: event.live,
        },
      }
    case 'identity':
      return {
        did: event.did,
        timestamp: event.time,
        seq: event.seq,
        eventMetadata,
        identity: {
          seq: event.relay?.seq ?? event.seq,
          // the Go original always writes a string
          handle: event.handle ?? '',
          isActive: event.isActive,
          status: event.status,
          live: event.live,
        },
      }
    case 'sync':
      return {
        did: event.did,
        timestamp: event.time,
        seq: event.seq,
        eventMetadata,
        sync: { seq: event.relay?.seq ?? event.seq, rev: event.rev, live: event.live },
      }
    case 'info':
      // the Go original writes an empty did and a null eventMetadata
      return {
        did: '',
        timestamp: event.time,
        eventMetadata: null,
        info: { name: event.name, message: event.message },
      }
    case 'moderation':
      // Ozone's ModEventView as returned, as the Go original produced it (never enriched)
      return event.view
    case 'label':
      // the label exactly as the labeler sent it; never enriched
      return {
        did: event.did,
        timestamp: event.time,
        seq: event.seq,
        labeler: event.labeler,
        label: event.label,
      }
  }
}

/**
 * `metadata` as a RawJson is spliced in where JSON.stringify would have written it: right
 * before the kind's key (`,"operation":{` …), which is the first unescaped match since only
 * did, timestamp and seq precede it (the JSON was made with SPLICED_METADATA, so it has no
 * eventMetadata key). -1 for info, moderation and label events (never enriched).
 */
export function metadataOffset(json: string, event: AtprotoEvent): number {
  return event.kind === 'info' || event.kind === 'moderation' || event.kind === 'label'
    ? -1
    : json.indexOf(KIND_KEYS[event.kind])
}

/**
 * Where an operation's record goes when toStandardEvent left it out (`splicedRecord`): before
 * the `}}` that close `operation` and the event, as `,"record":…` (record is the last key of
 * both). -1 if the JSON does not end so.
 */
export function recordOffset(json: string): number {
  return json.endsWith('}}') ? json.length - 2 : -1
}

const KIND_KEYS = {
  operation: ',"operation":{',
  account: ',"account":{',
  identity: ',"identity":{',
  sync: ',"sync":{',
} as const

/**
 * the standard event as one JSON string, `metadata` a plain value (what the encoder's bytes
 * must equal; the encoder itself splices a RawJson in, see encode-event.ts)
 */
export function toStandardJson(event: AtprotoEvent, metadata?: unknown): string {
  return JSON.stringify(toStandardEvent(event, metadata))
}
