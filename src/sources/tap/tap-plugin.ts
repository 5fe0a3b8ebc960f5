// Tap's catalog entry: `atkafka firehose tap`.
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { tapMetrics } from './tap-metrics.ts'
import { tapOptions } from './tap-options.ts'
import type { TapSource } from './tap-source.ts'

const traits = ['firehose', 'socket'] as const satisfies readonly Trait[]

export const tapSource: SourcePlugin<
  'tap',
  (typeof traits)[number],
  typeof tapOptions,
  TapSource,
  never,
  ReturnType<typeof tapMetrics>
> = {
  command: 'tap',
  path: ['firehose', 'tap'],
  summary:
    'read Tap’s /channel (backfill and live) and produce every event to Kafka, acking after Kafka holds it',
  traits,
  options: tapOptions,
  eventKinds: ['operation', 'identity'],
  metrics: tapMetrics,
  upstreamUrl: (config) => config.tapHost,
  async open(config, { metrics, logger }) {
    const { createTapSource } = await import('./tap-source.ts')
    return createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) })
  },
  // Tap keeps the position: events are acked to it once Kafka holds them
  cursor: undefined,
  statusPage: {
    title: 'Tap acks',
    rows: [
      { label: 'acks sent', field: 'acksSent', class: 'n' },
      { label: 'ack errors', field: 'ackErrors', class: 'n' },
      { label: 'unacked events', field: 'unacked', class: 'n' },
      { label: 'acks waiting', field: 'acksWaiting', class: 'n' },
      { label: 'acks disabled', field: 'acksDisabled', format: 'flag' },
    ],
  },
  status({ snapshot, config }) {
    const acksSent = snapshot.acks.ok
    const unacked = snapshot.tapEventBuffer
    return {
      block: {
        acksSent,
        ackErrors: snapshot.acks.error,
        unacked,
        acksWaiting: snapshot.tapAckBuffer,
        acksDisabled: config.disableAcks,
      },
      progress: { acksSent, unacked },
    }
  },
}
