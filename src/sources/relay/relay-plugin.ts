// The relay firehose's catalog entry: `atkafka firehose relay`.

import type { Registry } from 'prom-client'
import { pipelineMetrics } from '../../pipeline/pipeline-metrics.ts'
import type { Source } from '../../pipeline/types.ts'
import { eventStreamMetrics } from '../event-stream/event-stream-metrics.ts'
import { seqCursorCodec } from '../event-stream/seq-cursor.ts'
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import type { SeamStatus } from './backfill-seam.ts'
import { relayOptions } from './relay-options.ts'

/** the relay's series: the event stream's, and the drop reason of the backfill seam */
function relayMetrics(registry: Registry) {
  return { ...eventStreamMetrics(registry), eventDropped: pipelineMetrics(registry).eventDropped }
}

/** the relay's source: an event stream, with --backfill-seam wrapped in the seam */
type RelaySource = Source<number> & { seam?(): SeamStatus }

const traits = ['firehose', 'cursor', 'socket', 'event-stream', 'standby'] as const satisfies readonly Trait[]

export const relaySource: SourcePlugin<
  'relay',
  (typeof traits)[number],
  typeof relayOptions,
  RelaySource,
  number,
  ReturnType<typeof relayMetrics>
> = {
  command: 'relay',
  path: ['firehose', 'relay'],
  summary: 'subscribe to a relay firehose (com.atproto.sync.subscribeRepos) and produce every event to Kafka',
  traits,
  options: relayOptions,
  // the Go original looked metadata up for every relay event (and never in Tap mode)
  optionDefaults: { eventMetadata: 'true' },
  eventKinds: ['operation', 'identity', 'account', 'sync', 'info'],
  metrics: relayMetrics,
  upstreamUrl: (config) => config.relayHost,
  async open(config, { metrics, logger }) {
    const { createRelaySource } = await import('./relay-source.ts')
    const source = createRelaySource(config, { metrics, logger: logger.child({ component: 'relay' }) })
    if (config.backfillSeam === '') return source
    const { withBackfillSeam, waitForBackfill } = await import('./backfill-seam.ts')
    const { createCurrentSeq } = await import('./current-seq.ts')
    const seamLogger = logger.child({ component: 'backfill-seam' })
    return withBackfillSeam(
      source,
      { workTopic: config.backfillSeam },
      {
        backfill: waitForBackfill(
          config,
          {
            workTopic: config.backfillSeam,
            group: config.backfillSeamGroup,
            maxBytes: config.backfillSeamMaxBytes,
            start: config.backfillSeamStart,
            // with `now`, also how soon a copy is known live: a record changed live before is in Kafka twice
            pollMs: config.backfillSeamStart === 'now' ? 500 : 2000,
          },
          seamLogger,
        ),
        metrics,
        logger: seamLogger,
        currentSeq: createCurrentSeq(config.relayHost, 10 * 60_000),
      },
    )
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
      { label: 'backfill seam (--backfill-seam)', field: 'seam.state' },
      { label: 'seam: backfill items left', field: 'seam.left', class: 'n' },
      { label: 'seam: live from seq', field: 'seam.liveSeq', class: 'n' },
      { label: 'seam: table let go past seq', field: 'seam.endSeq', class: 'n' },
      { label: 'seam: repos copied (table)', field: 'seam.repos', class: 'n' },
      { label: 'seam: table bytes', field: 'seam.bytes', class: 'n' },
      { label: 'seam: skipped as copied', field: 'seam.skipped', class: 'n' },
    ],
  },
  status({ snapshot, cursor, source }) {
    const upstreamSeq = snapshot.upstreamSeq ?? null
    const safeCursor = snapshot.cursorSeq ?? null
    const savedCursor = cursor.saved ?? null
    return {
      // safeCursor: the seq at or below which Kafka holds everything, what the cursor is saved at
      block: {
        upstreamSeq,
        safeCursor,
        savedCursor,
        cursorLocation: cursor.location,
        seam: source?.seam?.() ?? null,
      },
      progress: { upstreamSeq, cursor: safeCursor, savedCursor },
    }
  },
}
