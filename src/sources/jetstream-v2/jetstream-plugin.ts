// Jetstream v2's catalog entry: `atkafka firehose jetstream` (a firehose source like relay and
// Tap: the network's accounts and records, from Jetstream's archive and then its live stream).
import { seqCursorCodec } from '../event-stream/seq-cursor.ts'
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { serverFilters } from './jetstream-filters.ts'
import { jetstreamOptions } from './jetstream-options.ts'
import type { JetstreamSource } from './jetstream-source.ts'

const traits = ['firehose', 'cursor', 'socket'] as const satisfies readonly Trait[]

export const jetstreamSource: SourcePlugin<
  'jetstream',
  (typeof traits)[number],
  typeof jetstreamOptions,
  JetstreamSource,
  number
> = {
  command: 'jetstream',
  path: ['firehose', 'jetstream'],
  summary:
    'replay a Jetstream v2’s archive (the network’s history), then its live stream, and produce every event to Kafka',
  traits,
  options: jetstreamOptions,
  eventKinds: ['operation', 'identity', 'account', 'sync', 'info'],
  upstreamUrl: (config) => config.jetstreamHost,
  async open(config, { metrics, logger }) {
    const { createJetstreamSource } = await import('./jetstream-source.ts')
    return createJetstreamSource(
      {
        url: config.jetstreamHost,
        archive: config.jetstreamArchive,
        zstd: config.jetstreamCompression === 'zstd',
        filters: serverFilters({ matchedCollections: config.matchedCollections, format: config.format }),
        downloadConcurrency: config.jetstreamDownloadConcurrency,
        maxDownloadBytes: config.jetstreamMaxDownloadBytes,
        chunkBytes: config.jetstreamChunkBytes,
        maxSegmentBytes: config.jetstreamMaxSegmentBytes,
        requestTimeoutMs: config.jetstreamRequestTimeoutMs,
        reconnectMinMs: config.reconnectMinMs,
        reconnectMaxMs: config.reconnectMaxMs,
        idleTimeoutMs: config.idleTimeoutMs,
        maxFrameBytes: config.maxFrameBytes,
      },
      { metrics, logger: logger.child({ component: 'jetstream' }) },
    )
  },
  cursor: {
    codec: seqCursorCodec,
    defaultSourceId: (config) => `jetstream:${new URL(config.jetstreamHost).host}`,
    override: (config) => config.jetstreamCursor,
  },
  status({ snapshot, cursor, source }) {
    const upstreamSeq = snapshot.upstreamSeq ?? null
    const safeCursor = snapshot.cursorSeq ?? null
    const savedCursor = cursor.saved ?? null
    const counts = source?.counts
    return {
      key: 'jetstream',
      block: {
        phase: source?.phase() ?? 'starting',
        upstreamSeq,
        safeCursor,
        savedCursor,
        cursorLocation: cursor.location,
        archive: counts
          ? {
              planPages: counts.archive.pages,
              segments: counts.archive.segments,
              blocks: counts.archive.blocks,
              bytes: counts.archive.bytes,
              rows: counts.rows,
              retries: counts.archive.retries,
              changedSincePlan: counts.archive.changed,
            }
          : null,
        duplicates: counts?.duplicates ?? 0,
        cursorTooOld: counts?.cursorTooOld ?? 0,
      },
      progress: { phase: source?.phase() ?? 'starting', upstreamSeq, cursor: safeCursor, savedCursor },
    }
  },
}
