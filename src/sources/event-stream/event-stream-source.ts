// An atproto event stream (an XRPC subscription with a seq cursor: the relay firehose
// com.atproto.sync.subscribeRepos, a labeler's com.atproto.label.subscribeLabels) as a Source:
// one delivery per frame, acked when every event of the frame is held by Kafka. The stream's
// own decoder turns a frame into events (relay/decode-frame.ts); everything else is shared:
// reconnects, error frames (FutureCursor), #info (OutdatedCursor), seq tracking, oversized
// frames. Reconnects resume strictly after the last seq received: every received event is
// either already in Kafka or in flight to it (a send that fails ends the run), so nothing
// between is skipped.
//
// A frame larger than --max-frame-bytes is never read (ws refuses it from its header), so its
// seq is unknown; all that is known is that it is the first frame after the last seq received
// (C), since the stream is sent in seq order. --on-oversized-frame=stop ends the run naming C and
// the limit. skip (default) reconnects at cursor C+1: no frame exists between C and the big
// one, so that skips it exactly when its seq is C+1 (relay seqs are consecutive but for rare
// gaps) and nothing else in any case; if the next connection meets a big frame again (a gap, or
// a second one), the cursor moves one more. Each step is one `oversized_frame` drop and one
// FrameTooLarge upstream error, and a connection without progress, so the backoff grows.
import type { Logger } from 'pino'
import { SourceProtocolError } from '../../errors.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import type { UpstreamMetrics } from '../../pipeline/upstream-metrics.ts'
import { FrameTooLargeError, readSocketBatches } from '../websocket/reconnecting-socket.ts'
import type { EventStreamMetrics } from './event-stream-metrics.ts'
import { createSeqTracker, type SeqTracker } from './seq-tracker.ts'
import { type MessageDecoder, readStreamFrame, type StreamLexicon } from './stream-frame.ts'

/** what makes one event stream what it is */
export interface EventStreamSpec {
  /** the upstream's name in logs, errors and the metrics' `source` label (e.g. relay) */
  readonly name: string
  /** the subscription's XRPC method, e.g. com.atproto.sync.subscribeRepos */
  readonly method: string
  /** the stream's message types and how large each body may be */
  readonly lexicon: StreamLexicon
  /** a message whose framing is read (stream-frame.ts) → its events, drops and seq (never throws) */
  readonly decodeMessage: MessageDecoder<() => string>
}

export interface EventStreamConfig {
  /** the service to subscribe to; /xrpc/<method> is appended */
  readonly host: string
  readonly onFutureCursor: 'stop' | 'live'
  readonly onOutdatedCursor: 'continue' | 'stop'
  readonly reconnectMinMs: number
  readonly reconnectMaxMs: number
  readonly idleTimeoutMs: number
  /** the websocket's message size limit */
  readonly maxFrameBytes: number
  /** a frame past maxFrameBytes: skip it by moving the cursor (counted), or end the run */
  readonly onOversizedFrame: 'skip' | 'stop'
}

/** the position is a seq; deliveries(signal, after) resume strictly after it (undefined: the live head) */
export type EventStreamSource = Source<number> & { checkpoint(): number | undefined }

function subscriptionUrl(host: string, method: string, cursor: number | undefined): string {
  const url = new URL(host)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/xrpc/${method}`
  if (cursor !== undefined) url.searchParams.set('cursor', String(cursor))
  return url.toString()
}

const noop = () => {}

export function createEventStreamSource(
  spec: EventStreamSpec,
  config: EventStreamConfig,
  deps: { metrics: UpstreamMetrics & EventStreamMetrics; logger: Logger; now?: () => string },
): EventStreamSource {
  const { metrics, logger } = deps
  const { name } = spec
  /** the type of the frame being decoded, when it is a message (atkafka_upstream_frames_total) */
  let messageType: string | undefined
  const decodeCounted: MessageDecoder<() => string> = (type, body, seq, receivedAt) => {
    messageType = type
    return spec.decodeMessage(type, body, seq, receivedAt)
  }
  const now = deps.now ?? (() => new Date().toISOString())
  // replaced when a run starts, and when the cursor is given up for the live head
  let tracker: SeqTracker = createSeqTracker()
  let connected = false
  let connections = 0
  /** frames with a seq received: the socket's measure of progress */
  let seqFrames = 0

  /** a connection closed on a frame past the limit: skip it (cursor + 1) or end the run */
  const oversizedFrame = (err: FrameTooLargeError) => {
    metrics.upstreamError('FrameTooLarge')
    const cursor = tracker.last()
    const where = { cursor: cursor ?? null, maxFrameBytes: err.limit }
    if (config.onOversizedFrame === 'stop') {
      throw new SourceProtocolError(
        `${name} sent a frame larger than --max-frame-bytes=${err.limit} right after cursor=${cursor ?? 'live head'}; it can never be read at this limit (raise --max-frame-bytes, or --on-oversized-frame=skip to skip it)`,
        { cause: err },
      )
    }
    metrics.eventDropped('oversized_frame')
    if (cursor === undefined) {
      // no seq yet: the reconnect starts at the live head, past the frame anyway
      logger.error(
        where,
        `${name} sent a frame larger than the frame limit; skipped, reconnecting at the live head`,
      )
      return
    }
    // a seq known complete: the frame right after the cursor was refused, and nothing precedes it
    tracker.add(cursor + 1)()
    const safe = tracker.safe()
    if (safe !== undefined) metrics.cursorSeq(safe)
    logger.error(
      { ...where, resumeAfter: cursor + 1 },
      `${name} sent a frame larger than the frame limit; skipping it: reconnecting one seq further`,
    )
  }

  async function* deliveries(signal: AbortSignal, after?: number): AsyncGenerator<Delivery> {
    tracker = createSeqTracker(after)
    const socket = readSocketBatches(
      {
        url: () => subscriptionUrl(config.host, spec.method, tracker.last()),
        minBackoffMs: config.reconnectMinMs,
        maxBackoffMs: config.reconnectMaxMs,
        idleTimeoutMs: config.idleTimeoutMs,
        highWaterMark: 32,
        maxPayload: config.maxFrameBytes,
        progress: () => seqFrames,
        onConnecting: (url, attempt) => {
          metrics.upstreamState(name, 'connecting')
          logger.info({ url, attempt }, `connecting to ${name}`)
        },
        onOpen: (url) => {
          connected = true
          if (connections++ > 0) metrics.reconnected(name)
          metrics.upstreamState(name, 'connected')
          logger.info({ url, cursor: tracker.last() ?? null }, `connected to ${name}`)
        },
        onClose: (err, nextAttemptInMs) => {
          connected = false
          metrics.upstreamState(name, 'disconnected')
          if (err instanceof FrameTooLargeError) oversizedFrame(err)
          logger.warn(
            { err: err.message, cursor: tracker.last() ?? null, nextAttemptInMs },
            `${name} connection lost`,
          )
        },
      },
      signal,
    )
    for await (const batch of socket)
      for (const message of batch) {
        if (!message.binary) {
          metrics.eventDropped('malformed_frame')
          logger.warn({ bytes: message.data.length }, `text frame on the ${name} stream; dropped`)
          continue
        }
        messageType = undefined
        const frame = readStreamFrame(message.data, spec.lexicon, decodeCounted, now)
        metrics.upstreamFrame(
          messageType === undefined
            ? frame.error
              ? 'error'
              : 'unreadable'
            : spec.lexicon.types.has(messageType)
              ? messageType
              : 'unknown',
        )
        for (const drop of frame.drops) {
          metrics.eventDropped(drop.reason)
          logger.warn({ seq: frame.seq, reason: drop.reason, err: drop.message }, 'dropped upstream data')
        }
        if (frame.error) {
          metrics.upstreamError(frame.error.name)
          if (frame.error.name === 'FutureCursor') {
            if (config.onFutureCursor === 'stop') {
              throw new SourceProtocolError(
                `${name} says our cursor is in its future (it may have lost state or be another ${name}); cursor=${tracker.last()} message=${frame.error.message ?? ''}`,
              )
            }
            // events still in flight complete on the old tracker; the new seq space starts empty
            logger.error(
              { cursor: tracker.last() },
              `${name} says our cursor is in its future; continuing from its live head`,
            )
            tracker = createSeqTracker()
            continue
          }
          logger.warn({ error: frame.error.name, message: frame.error.message }, `error frame from ${name}`)
          continue
        }
        for (const event of frame.events) {
          if (event.kind !== 'info') continue
          metrics.upstreamError(event.name)
          logger.warn({ name: event.name, message: event.message }, `info message from ${name}`)
          if (event.name === 'OutdatedCursor' && config.onOutdatedCursor === 'stop') {
            throw new SourceProtocolError(
              `${name} says our cursor is older than its window: events were lost; cursor=${tracker.last()}`,
            )
          }
        }
        // the frame (its records' bytes and CIDs are views of it) and the decoded records
        const bytes = message.data.length + (frame.recordBytes ?? 0)
        if (frame.seq === undefined) {
          if (frame.events.length > 0) yield { events: frame.events, bytes, ack: noop }
          continue
        }
        const last = tracker.last()
        if (last !== undefined && frame.seq <= last) {
          logger.warn(
            { seq: frame.seq, last },
            `${name} seq went backwards (${name} switch or reset?); passing the event on`,
          )
        }
        metrics.upstreamSeq(frame.seq)
        seqFrames++
        const done = tracker.add(frame.seq)
        yield {
          events: frame.events,
          bytes,
          ack: () => {
            done()
            const safe = tracker.safe()
            if (safe !== undefined) metrics.cursorSeq(safe)
          },
        }
      }
  }

  return {
    checkpoint: () => tracker.safe(),
    deliveries,
    get connected() {
      return connected
    },
  }
}
