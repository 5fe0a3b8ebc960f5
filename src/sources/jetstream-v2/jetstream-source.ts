// Jetstream v2 as a Source: the sealed archive (planned, downloaded, verified, every row
// filtered here since plans over-select), then the live stream from where the archive ends,
// with no gap and no repeat. The position is Jetstream's seq, one per event:
//   - archive: rows are handed out in seq order, in deliveries of at most BATCH_ROWS; each is
//     acked (seq tracker) when Kafka holds its events. Rows at or below the resume point skip.
//   - cut-over: subscribeEvents at cursor = max(pinned sealed tip, last seq received). The cursor
//     is inclusive, so the seam (and every reconnect) repeats an event: dedupe by seq only
//     (`rev` is shared by every op of a commit and by the records a #sync re-creates).
//   - CursorTooOld (the handoff aged below the server's lookback floor, or a resume from Kafka
//     older than it): counted, and the archive is replayed again from the last seq received,
//     then live again — never a silent skip. Repeated without progress, the run ends naming
//     the gap. UnknownZstdDictionary: the current dictionary is fetched and the stream
//     reopened. ConsumerTooSlow (an error frame, then the server closes): reconnect at the cursor.
import type { Logger } from 'pino'
import { DecodeError, SourceProtocolError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import type { UpstreamMetrics } from '../../pipeline/upstream-metrics.ts'
import { createSeqTracker, type SeqTracker } from '../event-stream/seq-tracker.ts'
import { readSocketBatches, UpgradeRefusedError } from '../websocket/reconnecting-socket.ts'
import { type ArchiveClient, createArchiveClient, type PlanFilters } from './archive-client.ts'
import { rowToEvent } from './archive-event.ts'
import { createReplay, type ReplayCounts } from './archive-replay.ts'
import { createInflater } from './inflater.ts'
import { createRowFilter } from './jetstream-filters.ts'
import type { JetstreamMetrics } from './jetstream-metrics.ts'
import { decodeLiveMessage, inflateMessage } from './live-frame.ts'
import { preparedRecord } from './prepared-records.ts'

export interface JetstreamSourceConfig {
  /** http(s)://host[:port] of the Jetstream v2 (the websocket URL is derived from it) */
  readonly url: string
  /** replay the sealed archive first when the position is behind its tip (or there is none) */
  readonly archive: boolean
  /** ask for dict-zstd live frames */
  readonly zstd: boolean
  /** server-side filters (the same predicate is applied to every archive row here) */
  readonly filters: PlanFilters
  readonly downloadConcurrency: number
  readonly maxDownloadBytes: number
  readonly chunkBytes: number
  readonly maxSegmentBytes: number
  readonly requestTimeoutMs: number
  readonly reconnectMinMs: number
  readonly reconnectMaxMs: number
  readonly idleTimeoutMs: number
  readonly maxFrameBytes: number
}

interface JetstreamCounts {
  archive: ReplayCounts
  /** archive rows read (before filtering) */
  rows: number
  /** live events dropped as repeats (seq at or below the last one received) */
  duplicates: number
  /** CursorTooOld refusals, each answered by replaying the archive again */
  cursorTooOld: number
  /** live connections opened */
  connections: number
}

type JetstreamPhase = 'starting' | 'archive' | 'live'

export type JetstreamSource = Source<number> & {
  checkpoint(): number | undefined
  readonly counts: JetstreamCounts
  phase(): JetstreamPhase
}

/** rows of one archive delivery (one socket read of Tap is up to 256 events too) */
const BATCH_ROWS = 256
/** CursorTooOld answered by an archive replay that brought nothing new: this many times, then the run ends */
const MAX_FRUITLESS_REPLAYS = 3
const SUBSCRIBE_PATH = '/xrpc/network.bsky.jetstream.subscribeEvents'

class CursorTooOld extends Error {}
class DictionaryChanged extends Error {}

type SourceMetrics = UpstreamMetrics & JetstreamMetrics

const noop = () => {}

function xrpcError(body: string): { error?: string; message?: string } {
  try {
    return JSON.parse(body) as { error?: string; message?: string }
  } catch {
    return {}
  }
}

function subscribeUrl(
  base: string,
  cursor: number | undefined,
  filters: PlanFilters,
  dictionary: number | undefined,
): string {
  const url = new URL(base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${SUBSCRIBE_PATH}`
  for (const kind of filters.kinds ?? []) url.searchParams.append('kinds', kind)
  for (const did of filters.dids ?? []) url.searchParams.append('dids', did)
  for (const c of filters.collections ?? []) url.searchParams.append('collections', c)
  if (cursor !== undefined) url.searchParams.set('cursor', String(cursor))
  if (dictionary !== undefined) url.searchParams.set('zstdDictionary', String(dictionary))
  return url.toString()
}

export function createJetstreamSource(
  config: JetstreamSourceConfig,
  deps: { metrics: SourceMetrics; logger: Logger; client?: ArchiveClient; now?: () => string },
): JetstreamSource {
  const { metrics, logger } = deps
  const now = deps.now ?? (() => new Date().toISOString())
  const client =
    deps.client ??
    createArchiveClient({
      baseUrl: config.url,
      timeoutMs: config.requestTimeoutMs,
      chunkBytes: config.chunkBytes,
      maxSegmentBytes: config.maxSegmentBytes,
    })
  const keepRow = createRowFilter(config.filters)
  const inflater = createInflater(config.filters)
  const counts: JetstreamCounts = {
    archive: { pages: 0, segments: 0, blocks: 0, bytes: 0, retries: 0, changed: 0 },
    rows: 0,
    duplicates: 0,
    cursorTooOld: 0,
    connections: 0,
  }
  let tracker: SeqTracker = createSeqTracker()
  let phase: JetstreamPhase = 'starting'
  let connected = false

  const received = (seq: number): (() => void) => {
    metrics.upstreamSeq(seq)
    const done = tracker.add(seq)
    return () => {
      done()
      const safe = tracker.safe()
      if (safe !== undefined) metrics.cursorSeq(safe)
    }
  }

  const dropped = (drop: DecodeError, seq: number | undefined) => {
    metrics.eventDropped(drop.reason)
    logger.warn({ seq, reason: drop.reason, err: drop.message }, 'dropped upstream data')
  }

  /** the archive from the last seq received; returns the pinned sealed tip */
  async function* replayArchive(signal: AbortSignal): AsyncGenerator<Delivery, number | undefined> {
    phase = 'archive'
    const after = tracker.last() ?? 0
    const replay = createReplay(
      client,
      {
        filters: config.filters,
        afterSeq: after,
        concurrency: config.downloadConcurrency,
        maxBytes: config.maxDownloadBytes,
        retryMinMs: config.reconnectMinMs,
        retryMaxMs: config.reconnectMaxMs,
      },
      logger,
      inflater,
      metrics,
    )
    metrics.replay()
    counts.archive = replay.counts
    metrics.upstreamState('jetstream', 'connected')
    for await (const block of replay.blocks(signal)) {
      const { rows, prepared } = block
      const perRow = block.bytes / Math.max(1, rows.length)
      for (let start = 0; start < rows.length; start += BATCH_ROWS) {
        const events: AtprotoEvent[] = []
        let last: number | undefined
        let bytes = 0
        const end = Math.min(rows.length, start + BATCH_ROWS)
        // rows at or below what was received already (a resume point inside a segment)
        const floor = tracker.last() ?? -1
        for (let i = start; i < end; i++) {
          const row = rows[i]!
          if (row.seq <= floor) continue
          last = row.seq
          counts.rows++
          const kept = keepRow(row) === true
          metrics.archiveRow(kept)
          if (!kept) continue
          const event = rowToEvent(row, prepared && preparedRecord(prepared, i))
          if (event instanceof DecodeError) {
            dropped(event, row.seq)
            continue
          }
          // the record's bytes and what decoding it takes on the heap, roughly
          bytes += perRow + row.payload.length * 4
          events.push(event)
        }
        if (last === undefined) continue
        yield { events, bytes: Math.ceil(bytes), ack: received(last) }
      }
    }
    return replay.tip()
  }

  async function* live(signal: AbortSignal, tip: number | undefined): AsyncGenerator<Delivery> {
    phase = 'live'
    let dictionary: { id: number; bytes: Buffer } | undefined
    if (config.zstd) dictionary = await client.getZstdDictionary(signal)
    let liveFrames = 0
    for (;;) {
      const cursor = () => {
        const last = tracker.last()
        if (tip === undefined) return last
        return last === undefined ? tip : Math.max(tip, last)
      }
      const socket = readSocketBatches(
        {
          url: () => subscribeUrl(config.url, cursor(), config.filters, dictionary?.id),
          minBackoffMs: config.reconnectMinMs,
          maxBackoffMs: config.reconnectMaxMs,
          idleTimeoutMs: config.idleTimeoutMs,
          highWaterMark: 512,
          maxPayload: config.maxFrameBytes,
          progress: () => liveFrames,
          onConnecting: (url, attempt) => {
            metrics.upstreamState('jetstream', 'connecting')
            logger.info({ url, attempt }, 'connecting to Jetstream')
          },
          onOpen: (url) => {
            connected = true
            if (counts.connections++ > 0) metrics.reconnected('jetstream')
            metrics.upstreamState('jetstream', 'connected')
            logger.info({ url }, 'connected to Jetstream')
          },
          onClose: (err, nextAttemptInMs) => {
            connected = false
            metrics.upstreamState('jetstream', 'disconnected')
            if (err instanceof UpgradeRefusedError) {
              const { error, message } = xrpcError(err.body)
              metrics.upstreamError(error ?? `HTTP ${err.status}`)
              if (error === 'CursorTooOld') throw new CursorTooOld(message ?? '')
              if (error === 'UnknownZstdDictionary') throw new DictionaryChanged(message ?? '')
              if (err.status === 400) {
                throw new SourceProtocolError(`Jetstream refused the subscription: ${error}: ${message}`)
              }
            }
            logger.warn(
              { err: err.message, cursor: tracker.last() ?? null, nextAttemptInMs },
              'Jetstream connection lost',
            )
          },
        },
        signal,
      )
      try {
        for await (const batch of socket) {
          const deliveries: Delivery[] = []
          for (const message of batch) {
            let text: string
            try {
              if (message.binary) {
                if (!dictionary)
                  throw new DecodeError('malformed_frame', 'binary message without compression asked')
                text = inflateMessage(message.data, dictionary.bytes).toString('utf8')
              } else {
                text = message.data.toString('utf8')
              }
            } catch (err) {
              dropped(err as DecodeError, undefined)
              continue
            }
            const frame = decodeLiveMessage(text, now)
            for (const drop of frame.drops) dropped(drop, frame.seq)
            if (frame.error) {
              metrics.upstreamError(frame.error.name)
              logger.warn(
                { error: frame.error.name, message: frame.error.message },
                'error frame from Jetstream',
              )
              continue
            }
            if (frame.seq === undefined) {
              for (const event of frame.events) {
                if (event.kind !== 'info') continue
                metrics.upstreamError(event.name)
                logger.warn({ name: event.name, message: event.message }, 'info message from Jetstream')
              }
              if (frame.events.length > 0)
                deliveries.push({ events: frame.events, bytes: message.data.length, ack: noop })
              continue
            }
            const last = tracker.last()
            if (last !== undefined && frame.seq <= last) {
              counts.duplicates++
              metrics.duplicate()
              continue
            }
            liveFrames++
            deliveries.push({ events: frame.events, bytes: message.data.length, ack: received(frame.seq) })
          }
          yield* deliveries
        }
        return
      } catch (err) {
        if (err instanceof DictionaryChanged) {
          logger.warn({ message: err.message }, 'Jetstream has another zstd dictionary; fetching it')
          dictionary = await client.getZstdDictionary(signal)
          continue
        }
        throw err
      }
    }
  }

  async function* deliveries(signal: AbortSignal, after?: number): AsyncGenerator<Delivery> {
    try {
      yield* archiveThenLive(signal, after)
    } finally {
      await inflater.close()
    }
  }

  async function* archiveThenLive(signal: AbortSignal, after?: number): AsyncGenerator<Delivery> {
    tracker = createSeqTracker(after)
    let tip: number | undefined
    let fruitless = 0
    if (config.archive) tip = yield* replayArchive(signal)
    for (;;) {
      if (signal.aborted) return
      try {
        yield* live(signal, tip)
        return
      } catch (err) {
        if (!(err instanceof CursorTooOld)) throw err
        counts.cursorTooOld++
        const from = tracker.last()
        logger.warn(
          { cursor: from ?? null, message: err.message },
          'Jetstream says the cursor is below its lookback floor; replaying the archive from it again',
        )
        tip = yield* replayArchive(signal)
        fruitless = tracker.last() === from ? fruitless + 1 : 0
        if (fruitless >= MAX_FRUITLESS_REPLAYS) {
          throw new SourceProtocolError(
            `Jetstream refuses cursor ${from} as too old and its archive has nothing after it: the events between ${from} and its lookback floor cannot be had (${err.message})`,
          )
        }
      }
    }
  }

  return {
    deliveries,
    checkpoint: () => tracker.safe(),
    counts,
    phase: () => phase,
    get connected() {
      return connected || phase === 'archive'
    },
  }
}
