// Tap's acks: sent (or not, kept for the next connection), events not yet acked, acks waiting
// for a connection. The Go original's series names.
import type { Registry } from 'prom-client'
import { counterSeries, countsBy, each, gauge, metricsPart } from '../../metrics/series.ts'

export interface TapMetrics {
  /** an ack written to the socket (ok), or one that could not be (error: kept for the next connection) */
  ackSent(status: 'ok' | 'error'): void
  /** events received and not yet acked */
  tapEventBuffer(count: number): void
  /** acks waiting for a connection to be sent on */
  tapAckBuffer(count: number): void
}

interface TapSnapshot {
  readonly acks: Readonly<Record<'ok' | 'error', number>>
  readonly tapEventBuffer: number
  readonly tapAckBuffer: number
}

export const tapMetrics = metricsPart((registry: Registry) => {
  const acks = counterSeries(registry, {
    name: 'atkafka_acks_sent',
    help: 'Acks sent to Tap, by status',
    labelNames: ['status'],
    preset: each(['ok', 'error']),
  })
  const state = { tapEventBuffer: 0, tapAckBuffer: 0 }
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
    snapshot: () => ({
      acks: countsBy(acks, 'status') as Record<'ok' | 'error', number>,
      tapEventBuffer: state.tapEventBuffer,
      tapAckBuffer: state.tapAckBuffer,
    }),
  }
  return metrics
})
