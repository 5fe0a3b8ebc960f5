// The ports between the stages: a source yields deliveries; the pipeline filters, encodes and
// sends their events, then acks each delivery once Kafka holds all of them.
import type { AtprotoEvent } from '../events/atproto-event.ts'

export interface Delivery {
  /** may be empty: everything filtered out or dropped while decoding */
  readonly events: readonly AtprotoEvent[]
  /**
   * called once every event of this delivery is held by Kafka (relay: seq complete; Tap: send
   * the ack). A plain function (it must not use `this`): the pipeline keeps only the function,
   * so the events can be garbage-collected while their records are in flight.
   */
  readonly ack: () => void
}

export interface Source {
  /** Deliveries in upstream order until the signal aborts; reconnects internally. */
  deliveries(signal: AbortSignal): AsyncIterable<Delivery>
  /** true while the upstream socket is open */
  readonly connected: boolean
}
