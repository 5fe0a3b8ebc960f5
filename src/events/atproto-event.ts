// The one event type past the sources. Sources (relay firehose, Tap, Jetstream v2, Ozone) decode their wire
// formats into these; everything downstream (filter, enrich, encode, sink) sees only these.

/** A record operation: one per op of a relay #commit, one per Tap record event. */
export interface OperationEvent {
  readonly kind: 'operation'
  readonly did: string
  /** relay seq of the #commit this op came from; Jetstream v2: its seq of the op; absent for Tap */
  readonly seq?: number
  /** relay only: 0-based index of this op among its #commit's ops (with seq, the op's identity) */
  readonly opIndex?: number
  /** Tap only: Tap's outbox id of the event (what it is acked by; the same on redelivery) */
  readonly tapId?: number
  /** the commit's rev (TID) */
  readonly rev: string
  /** RFC 3339 event time: the commit's `time` (relay) or the Tap timestamp rule */
  readonly time: string
  readonly action: 'create' | 'update' | 'delete'
  readonly collection: string
  readonly rkey: string
  /** record CID as a string; absent for deletes */
  readonly cid?: string
  /**
   * the record in the atproto JSON data model. Relay: the value decoded by @atcute/cbor,
   * whose CID links and bytes serialize to {"$link"} / {"$bytes"} through JSON.stringify.
   * Tap: the parsed JSON. Jetstream v2 archive: a RawJson of the record's JSON, written on the
   * inflate worker (the encoder copies its bytes in; JSON.stringify parses it). Absent for deletes.
   */
  readonly record?: unknown
  /** Tap and Jetstream v2: true for live events, false for backfill (Tap) or the archive (Jetstream v2) */
  readonly live?: boolean
}

/**
 * Jetstream v2 wraps the relay's #identity/#account/#sync verbatim: beside Jetstream's own seq
 * and time (the event's `seq` and `time`), the relay's.
 */
interface RelayStamp {
  readonly seq: number
  readonly time: string
}

interface IdentityEvent {
  readonly kind: 'identity'
  readonly did: string
  readonly seq?: number
  /** Tap only: Tap's outbox id of the event (what it is acked by; the same on redelivery) */
  readonly tapId?: number
  readonly time: string
  readonly handle?: string
  /** Tap only */
  readonly isActive?: boolean
  /** Tap only */
  readonly status?: string
  /** Jetstream v2: true live, false from the archive */
  readonly live?: boolean
  /** Jetstream v2: the relay's seq and time of the wrapped event */
  readonly relay?: RelayStamp
}

interface AccountEvent {
  readonly kind: 'account'
  readonly did: string
  readonly seq: number
  readonly time: string
  readonly active: boolean
  readonly status?: string
  /** Jetstream v2: true live, false from the archive */
  readonly live?: boolean
  /** Jetstream v2: the relay's seq and time of the wrapped event */
  readonly relay?: RelayStamp
}

interface SyncEvent {
  readonly kind: 'sync'
  readonly did: string
  readonly seq: number
  readonly rev: string
  readonly time: string
  /** Jetstream v2: true live, false from the archive */
  readonly live?: boolean
  /** Jetstream v2: the relay's seq and time of the wrapped event */
  readonly relay?: RelayStamp
}

/** relay #info (e.g. OutdatedCursor); has no DID and no seq */
interface InfoEvent {
  readonly kind: 'info'
  readonly name: string
  readonly message?: string
  /** receive time (the frame carries none) */
  readonly time: string
}

/**
 * An Ozone moderation event (`ozone-events` mode): one `tools.ozone.moderation.defs#modEventView`
 * from `tools.ozone.moderation.queryEvents`, carried as Ozone returned it.
 */
export interface ModerationEvent {
  readonly kind: 'moderation'
  /** Ozone's event id (unique per labeler, assigned in insert order, not in commit order) */
  readonly id: number
  /** the subject's DID (a repo, or the author of a record or chat message) */
  readonly did: string
  /** the Kafka key: the subject's DID, or the event id with --ozone-key event-id */
  readonly key: string
  /** the event's createdAt */
  readonly time: string
  /** the ModEventView JSON exactly as queryEvents returned it (no field renamed or dropped) */
  readonly view: Readonly<Record<string, unknown>>
}

/** why a label was refused: written to the dead-letter topic, never to the output */
interface LabelRefusal {
  readonly reason: 'invalid_signature' | 'wrong_src'
  readonly detail: string
}

/**
 * A labeler's label (`atkafka labels`): one com.atproto.label.defs#label of a #labels frame
 * of the labeler's com.atproto.label.subscribeLabels, carried exactly as sent (negations,
 * `exp`, `cid`, `sig` included), its signature verified (or refused, with the reason).
 */
export interface LabelEvent {
  readonly kind: 'label'
  /** the subject's DID (from `uri`): the Kafka key */
  readonly did: string
  /** the labeler's seq of the #labels frame it came in */
  readonly seq: number
  /** its index among the labels of that frame */
  readonly index: number
  /** the labeler whose stream it came from */
  readonly labeler: string
  /** the label's `cts` */
  readonly time: string
  readonly src: string
  readonly val: string
  readonly neg: boolean
  /** the label's map as decoded (bytes and CIDs serialize to {"$bytes"}/{"$link"}) */
  readonly label: Readonly<Record<string, unknown>>
  /** set when verification refused it */
  readonly refused?: LabelRefusal
}

export type AtprotoEvent =
  | OperationEvent
  | IdentityEvent
  | AccountEvent
  | SyncEvent
  | InfoEvent
  | ModerationEvent
  | LabelEvent
