// Tap's catalog entry: `atkafka firehose tap`.
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { tapOptions } from './tap-options.ts'
import type { TapSource } from './tap-source.ts'

const traits = ['firehose', 'socket'] as const satisfies readonly Trait[]

export const tapSource: SourcePlugin<'tap', (typeof traits)[number], typeof tapOptions, TapSource> = {
  command: 'tap',
  path: ['firehose', 'tap'],
  summary:
    'read Tap’s /channel (backfill and live) and produce every event to Kafka, acking after Kafka holds it',
  traits,
  options: tapOptions,
  eventKinds: ['operation', 'identity'],
  upstreamUrl: (config) => config.tapHost,
  async open(config, { metrics, logger }) {
    const { createTapSource } = await import('./tap-source.ts')
    return createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) })
  },
  // Tap keeps the position: events are acked to it once Kafka holds them
  cursor: undefined,
  status({ snapshot, config }) {
    const acksSent = snapshot.acks.ok
    const unacked = snapshot.tapEventBuffer
    return {
      key: 'tap',
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
