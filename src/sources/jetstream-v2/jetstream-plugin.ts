// Jetstream v2's catalog entry: `atkafka firehose jetstream` (a firehose source like relay and
// Tap: the network's accounts and records, from Jetstream's archive and then its live stream).
import { seqCursorCodec } from '../event-stream/seq-cursor.ts'
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { serverFilters } from './jetstream-filters.ts'
import { jetstreamMetrics } from './jetstream-metrics.ts'
import { jetstreamOptions } from './jetstream-options.ts'
import type { JetstreamSource } from './jetstream-source.ts'

const traits = ['firehose', 'cursor', 'socket'] as const satisfies readonly Trait[]

export const jetstreamSource: SourcePlugin<
  'jetstream',
  (typeof traits)[number],
  typeof jetstreamOptions,
  JetstreamSource,
  number,
  ReturnType<typeof jetstreamMetrics>
> = {
  command: 'jetstream',
  path: ['firehose', 'jetstream'],
  summary:
    'replay a Jetstream v2’s archive (the network’s history), then its live stream, and produce every event to Kafka',
  traits,
  options: jetstreamOptions,
  eventKinds: ['operation', 'identity', 'account', 'sync', 'info'],
  metrics: jetstreamMetrics,
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
  statusPage: {
    title: 'Jetstream v2',
    rows: [
      { label: 'phase', field: 'phase', class: 'mono' },
      { label: 'upstream seq', field: 'upstreamSeq', class: 'n' },
      { label: 'safe cursor (acknowledged by Kafka)', field: 'safeCursor', class: 'n' },
      { label: 'saved cursor (committed, with --exactly-once)', field: 'savedCursor', class: 'n' },
      { label: 'kept in', field: 'cursorLocation', class: 'mono' },
      { label: 'archive segments replayed', field: 'segments', class: 'n' },
      { label: 'archive rows read', field: 'rows', class: 'n' },
      { label: 'archive bytes downloaded', field: 'bytes', class: 'n' },
      { label: 'live repeats dropped', field: 'duplicates', class: 'n' },
      { label: 'CursorTooOld (archive replayed again)', field: 'cursorTooOld', class: 'n' },
    ],
  },
  status({ snapshot, cursor, source }) {
    const upstreamSeq = snapshot.upstreamSeq ?? null
    const safeCursor = snapshot.cursorSeq ?? null
    const savedCursor = cursor.saved ?? null
    const rows = snapshot.archiveRows as Record<string, number>
    const archive = snapshot.archive as Record<string, number>
    return {
      block: {
        phase: source?.phase() ?? 'starting',
        upstreamSeq,
        safeCursor,
        savedCursor,
        cursorLocation: cursor.location,
        segments: archive.segment ?? 0,
        rows: (rows.kept ?? 0) + (rows.filtered ?? 0),
        rowsFiltered: rows.filtered ?? 0,
        bytes: snapshot.archiveBytes,
        planPages: archive.page ?? 0,
        retries: archive.retry ?? 0,
        duplicates: snapshot.duplicates,
        cursorTooOld: source?.counts.cursorTooOld ?? 0,
      },
      progress: { phase: source?.phase() ?? 'starting', upstreamSeq, cursor: safeCursor, savedCursor },
    }
  },
}
