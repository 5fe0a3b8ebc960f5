// Jetstream v2's series: the stream position (the seq gauges every seq-cursor stream has), the
// archive's progress (plan pages, segments and blocks replayed, bytes downloaded, rows read and
// left out by the filter, retried requests), live repeats dropped by seq, and how often the
// archive was replayed (the first time, then once per CursorTooOld).
import type { Registry } from 'prom-client'
import { counterSeries, countsBy, each, metricsPart } from '../../metrics/series.ts'
import { eventStreamMetrics } from '../event-stream/event-stream-metrics.ts'

export interface JetstreamMetrics {
  upstreamSeq(seq: number): void
  cursorSeq(seq: number): void
  /** archive progress: a plan page, a segment or block range replayed, a block, downloaded bytes, a retried request */
  archive(what: 'page' | 'segment' | 'block' | 'retry', n?: number): void
  archiveBytes(n: number): void
  /** an archive row read: kept, or left out by the filter (the plan over-selected) */
  archiveRow(kept: boolean): void
  /** a live event at or below the last seq received (the seam, a reconnect) */
  duplicate(): void
  /** an archive replay started (the first, then one per CursorTooOld) */
  replay(): void
}

export const jetstreamMetrics = metricsPart((registry: Registry) => {
  const stream = eventStreamMetrics(registry)
  const archive = counterSeries(registry, {
    name: 'atkafka_jetstream_archive_total',
    help: 'Jetstream v2 archive replay: plan pages read, segments (or block ranges) and blocks replayed, requests retried',
    labelNames: ['what'],
    preset: each(['page', 'segment', 'block', 'retry']),
  })
  const bytes = counterSeries(registry, {
    name: 'atkafka_jetstream_archive_bytes_total',
    help: 'Jetstream v2 archive bytes downloaded',
  })
  const rows = counterSeries(registry, {
    name: 'atkafka_jetstream_archive_rows_total',
    help: 'Jetstream v2 archive rows read: kept, or filtered (planned segments hold rows the filters leave out)',
    labelNames: ['result'],
    preset: each(['kept', 'filtered']),
  })
  const duplicates = counterSeries(registry, {
    name: 'atkafka_jetstream_duplicates_total',
    help: 'Jetstream v2 live events dropped as repeats (seq at or below the last one received: the cut-over seam, reconnects)',
  })
  const replays = counterSeries(registry, {
    name: 'atkafka_jetstream_archive_replays_total',
    help: 'Jetstream v2 archive replays started: the first, then one per CursorTooOld (never a silent skip)',
  })
  const kept = rows.child('kept')
  const filtered = rows.child('filtered')
  const metrics: JetstreamMetrics & {
    snapshot(): ReturnType<typeof stream.snapshot> & Record<string, unknown>
  } = {
    upstreamSeq: stream.upstreamSeq,
    cursorSeq: stream.cursorSeq,
    archive: (what, n = 1) => {
      archive.child(what).value += n
    },
    archiveBytes: (n) => {
      bytes.child().value += n
    },
    archiveRow: (isKept) => {
      if (isKept) kept.value++
      else filtered.value++
    },
    duplicate: () => {
      duplicates.child().value++
    },
    replay: () => {
      replays.child().value++
    },
    snapshot: () => ({
      ...stream.snapshot(),
      archive: countsBy(archive, 'what'),
      archiveBytes: bytes.child().value,
      archiveRows: countsBy(rows, 'result'),
      duplicates: duplicates.child().value,
      replays: replays.child().value,
    }),
  }
  return metrics
})
