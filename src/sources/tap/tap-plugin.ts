// Tap's catalog entry: `atkafka firehose tap`. Tap keeps the position itself (events are acked
// to it once Kafka holds them); with --exactly-once the cursor store keeps the ids Tap may still
// send again (committed-ids.ts), committed with the events in each transaction.

import type { SourcePlugin, Trait } from '../source-plugin.ts'
import type { TapPosition } from './committed-ids.ts'
import { tapCursorCodec } from './tap-cursor.ts'
import { tapMetrics } from './tap-metrics.ts'
import { tapOptions } from './tap-options.ts'
import type { TapSource } from './tap-source.ts'

const traits = ['firehose', 'socket', 'cursor'] as const satisfies readonly Trait[]

export const tapSource: SourcePlugin<
  'tap',
  (typeof traits)[number],
  typeof tapOptions,
  TapSource,
  TapPosition,
  ReturnType<typeof tapMetrics>
> = {
  command: 'tap',
  path: ['firehose', 'tap'],
  summary:
    'read Tap’s /channel (backfill and live) and produce every event to Kafka, acking after Kafka holds it (with --exactly-once: after its transaction committed, a redelivery skipped)',
  traits,
  options: tapOptions,
  // at-least-once, as the Go original, keeps nothing; --exactly-once keeps its ids in Kafka
  optionDefaults: { cursorStore: 'none' },
  eventKinds: ['operation', 'identity'],
  metrics: tapMetrics,
  upstreamUrl: (config) => config.tapHost,
  async open(config, { metrics, logger }) {
    const { createTapSource } = await import('./tap-source.ts')
    return createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) })
  },
  cursor: {
    codec: tapCursorCodec,
    defaultSourceId: (config) => `tap:${config.tapHost}`,
  },
  statusPage: {
    title: 'Tap acks',
    rows: [
      { label: 'acks sent', field: 'acksSent', class: 'n' },
      { label: 'ack errors', field: 'ackErrors', class: 'n' },
      { label: 'unacked events', field: 'unacked', class: 'n' },
      { label: 'acks waiting', field: 'acksWaiting', class: 'n' },
      { label: 'acks disabled', field: 'acksDisabled', format: 'flag' },
      { label: 'exactly once', field: 'exactlyOnce', format: 'flag' },
      { label: 'ids kept against redelivery', field: 'committedIds', class: 'n' },
      { label: 'their bytes in the cursor', field: 'committedIdsBytes', class: 'n' },
      { label: 'redeliveries skipped (in flight)', field: 'redeliveriesSkipped.in_flight', class: 'n' },
      { label: 'redeliveries skipped (committed)', field: 'redeliveriesSkipped.committed', class: 'n' },
      { label: 'refused at the bound (Tap resends)', field: 'refusedAtBound', class: 'n' },
    ],
  },
  status({ snapshot, config }) {
    const acksSent = snapshot.acks.ok
    const unacked = snapshot.tapEventBuffer
    const exactlyOnce = config.exactlyOnce === true
    return {
      block: {
        acksSent,
        ackErrors: snapshot.acks.error,
        unacked,
        acksWaiting: snapshot.tapAckBuffer,
        acksDisabled: config.disableAcks,
        exactlyOnce,
        committedIds: snapshot.committedIds,
        committedIdsBytes: snapshot.committedIdsBytes,
        redeliveriesSkipped: snapshot.redeliveriesSkipped,
        refusedAtBound: snapshot.committedIdsRefused,
      },
      progress: {
        acksSent,
        unacked,
        ...(exactlyOnce
          ? {
              keptIds: snapshot.committedIds,
              skipped: snapshot.redeliveriesSkipped.in_flight + snapshot.redeliveriesSkipped.committed,
            }
          : {}),
      },
    }
  },
}
