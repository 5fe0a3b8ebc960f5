// Tap's acks: sent (or not, kept for the next connection), events not yet acked, acks waiting
// for a connection (the Go original's series names). Under --exactly-once also the ids kept in
// Kafka against redelivery (committed-ids.ts): how many, their bytes in the cursor record, the
// redeliveries skipped, and the events refused at the bound.
import type { Registry } from 'prom-client'
import { counterSeries, countsBy, each, gauge, metricsPart, total } from '../../metrics/series.ts'

/** where a skipped redelivery's first copy was: in the pipeline or open transaction, or committed */
type SkippedAs = 'in_flight' | 'committed'

export interface TapMetrics {
  /** an ack written to the socket (ok), or one that could not be (error: kept for the next connection) */
  ackSent(status: 'ok' | 'error'): void
  /** events received and not yet acked */
  tapEventBuffer(count: number): void
  /** acks waiting for a connection to be sent on */
  tapAckBuffer(count: number): void
  /** --exactly-once: a frame Tap sent again under a kept id, not produced again */
  redeliverySkipped(as: SkippedAs): void
  /** --exactly-once: the ids kept against redelivery and their bytes in the cursor record */
  committedIds(count: number, bytes: number): void
  /** --exactly-once: a frame with a new id refused (neither produced nor acked) because the kept ids were at their bound */
  committedIdsRefused(): void
}

interface TapSnapshot {
  readonly acks: Readonly<Record<'ok' | 'error', number>>
  readonly tapEventBuffer: number
  readonly tapAckBuffer: number
  readonly redeliveriesSkipped: Readonly<Record<SkippedAs, number>>
  readonly committedIds: number
  readonly committedIdsBytes: number
  readonly committedIdsRefused: number
}

export const tapMetrics = metricsPart((registry: Registry) => {
  const acks = counterSeries(registry, {
    name: 'atkafka_acks_sent',
    help: 'Acks sent to Tap, by status',
    labelNames: ['status'],
    preset: each(['ok', 'error']),
  })
  const skipped = counterSeries(registry, {
    name: 'atkafka_tap_redeliveries_skipped_total',
    help: 'With --exactly-once: events Tap sent again under an id whose first copy was in flight or committed, not produced again',
    labelNames: ['state'],
    preset: each(['in_flight', 'committed']),
  })
  const refused = counterSeries(registry, {
    name: 'atkafka_tap_refused_at_bound_total',
    help: 'With --exactly-once: Tap events neither produced nor acked (Tap sends them again after its retry timeout) because the ids kept against redelivery were at --tap-max-committed-ids or --tap-max-committed-ids-bytes',
  })
  const state = { tapEventBuffer: 0, tapAckBuffer: 0, committedIds: 0, committedIdsBytes: 0 }
  gauge(
    registry,
    'atkafka_tap_event_buffer_size',
    'Tap events received and not yet acked',
    () => state.tapEventBuffer,
  )
  gauge(
    registry,
    'atkafka_tap_ack_event_buffer_size',
    'Acks waiting for a Tap connection to be sent on',
    () => state.tapAckBuffer,
  )
  gauge(
    registry,
    'atkafka_tap_committed_ids',
    'With --exactly-once: Tap event ids kept (in the cursor record) because Tap may still send them again',
    () => state.committedIds,
  )
  gauge(
    registry,
    'atkafka_tap_committed_ids_bytes',
    'With --exactly-once: bytes the kept Tap event ids take in the cursor record',
    () => state.committedIdsBytes,
  )
  const metrics: TapMetrics & { snapshot(): TapSnapshot } = {
    ackSent: (status) => {
      acks.child(status).value++
    },
    tapEventBuffer: (count) => {
      state.tapEventBuffer = count
    },
    tapAckBuffer: (count) => {
      state.tapAckBuffer = count
    },
    redeliverySkipped: (as) => {
      skipped.child(as).value++
    },
    committedIds: (count, bytes) => {
      state.committedIds = count
      state.committedIdsBytes = bytes
    },
    committedIdsRefused: () => {
      refused.child().value++
    },
    snapshot: () => ({
      acks: countsBy(acks, 'status') as Record<'ok' | 'error', number>,
      tapEventBuffer: state.tapEventBuffer,
      tapAckBuffer: state.tapAckBuffer,
      redeliveriesSkipped: countsBy(skipped, 'state') as Record<SkippedAs, number>,
      committedIds: state.committedIds,
      committedIdsBytes: state.committedIdsBytes,
      committedIdsRefused: total(refused),
    }),
  }
  return metrics
})
