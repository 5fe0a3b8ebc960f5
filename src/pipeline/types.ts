// The ports between the stages: a source yields deliveries; the pipeline filters, encodes and
// hands their records to the sink, then acks each delivery once Kafka holds all of them.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { RawJson } from '../events/raw-json.ts'

export interface Delivery {
  /** may be empty: everything filtered out or dropped while decoding */
  readonly events: readonly AtprotoEvent[]
  /**
   * what holding the events costs, in bytes: the upstream message(s) they came from, more when
   * their decoded records are known to take more (the in-flight window counts it while the
   * events wait for identity lookups; 0 when unknown)
   */
  readonly bytes?: number
  /**
   * called once every event of this delivery is held by Kafka (relay: seq complete; Tap: send
   * the ack). A plain function (it must not use `this`): the pipeline keeps only the function,
   * so the events can be garbage-collected while their records are in flight.
   */
  readonly ack: () => void
}

/**
 * An upstream. `P` is the position a resumable source restarts from (relay: a seq); a source
 * that acks upstream instead (Tap) has none.
 */
export interface Source<P = never> {
  /** Deliveries in upstream order until the signal aborts, strictly after `after`; reconnects internally. */
  deliveries(signal: AbortSignal, after?: P): AsyncIterable<Delivery>
  /** true while the upstream connection is open */
  readonly connected: boolean
  /**
   * Resumable sources: the position at or below which Kafka holds everything yielded (the
   * only position a cursor may be saved at); the same value (===) while it has not moved.
   */
  checkpoint?(): P | undefined
  /**
   * --exactly-once: a transaction carrying this position (a checkpoint) committed; a source
   * that acks upstream (Tap) acks what it covers only now
   */
  committed?(position: P): void
}

/** an event the identity stage let through, with its `eventMetadata` */
export interface ResolvedEvent {
  readonly event: AtprotoEvent
  /** `eventMetadata` as JSON; undefined: enrichment off, or the DID could not be resolved in time */
  readonly metadata?: RawJson
}

/** One Kafka record, as the encoder makes it. */
export interface OutboundRecord {
  readonly topic: string
  readonly key: string
  /** UTF-8 JSON */
  readonly value: Buffer
  /** record headers (src/encode/record-headers.ts) */
  readonly headers?: Map<Buffer, Buffer>
}

/** the bytes a record holds: key, value and headers (the in-flight window and produce requests count these) */
export function recordBytes(record: OutboundRecord): number {
  let bytes = record.key.length + record.value.length
  if (record.headers) for (const [name, value] of record.headers) bytes += name.length + value.length
  return bytes
}

export interface Sink {
  /**
   * resolves when the sink may take records; the exactly-once sink registers its transactional
   * id here, which fences older instances (before the cursor is read)
   */
  ready?(): Promise<void>
  /** resolves only after the broker has acknowledged every record (rejects: the run must end) */
  send(records: readonly OutboundRecord[]): Promise<void>
  /** resolves when everything accepted is written (or failed) */
  close(): Promise<void>
}
