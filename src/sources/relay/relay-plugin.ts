// The relay firehose's catalog entry: `atkafka firehose relay`.

import { eventStreamMetrics } from '../event-stream/event-stream-metrics.ts'
import type { EventStreamSource } from '../event-stream/event-stream-source.ts'
import { seqCursorCodec } from '../event-stream/seq-cursor.ts'
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { relayOptions } from './relay-options.ts'

const traits = ['firehose', 'cursor', 'socket', 'event-stream', 'standby'] as const satisfies readonly Trait[]

export const relaySource: SourcePlugin<
  'relay',
  (typeof traits)[number],
  typeof relayOptions,
  EventStreamSource,
  number,
  ReturnType<typeof eventStreamMetrics>
> = {
  command: 'relay',
  path: ['firehose', 'relay'],
  summary: 'subscribe to a relay firehose (com.atproto.sync.subscribeRepos) and produce every event to Kafka',
  traits,
  options: relayOptions,
  // the Go original looked metadata up for every relay event (and never in Tap mode)
  optionDefaults: { eventMetadata: 'true' },
  eventKinds: ['operation', 'identity', 'account', 'sync', 'info'],
  metrics: eventStreamMetrics,
  upstreamUrl: (config) => config.relayHost,
  async open(config, { metrics, logger }) {
    const { createRelaySource } = await import('./relay-source.ts')
    return createRelaySource(config, { metrics, logger: logger.child({ component: 'relay' }) })
  },
  cursor: {
    codec: seqCursorCodec,
    defaultSourceId: (config) => `relay:${new URL(config.relayHost).host}`,
    override: (config) => config.cursor,
  },
  statusPage: {
    title: 'Cursor',
    rows: [
      { label: 'upstream seq', field: 'upstreamSeq', class: 'n' },
      { label: 'safe cursor (acknowledged by Kafka)', field: 'safeCursor', class: 'n' },
      { label: 'saved cursor (committed, with --exactly-once)', field: 'savedCursor', class: 'n' },
      { label: 'kept in', field: 'cursorLocation', class: 'mono' },
    ],
  },
  status({ snapshot, cursor }) {
    const upstreamSeq = snapshot.upstreamSeq ?? null
    const safeCursor = snapshot.cursorSeq ?? null
    const savedCursor = cursor.saved ?? null
    return {
      // safeCursor: the seq at or below which Kafka holds everything, what the cursor is saved at
      block: { upstreamSeq, safeCursor, savedCursor, cursorLocation: cursor.location },
      progress: { upstreamSeq, cursor: safeCursor, savedCursor },
    }
  },
}
