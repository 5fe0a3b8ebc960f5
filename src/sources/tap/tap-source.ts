// Tap (indigo cmd/tap) as a Source: reads <tap-host>/channel, one delivery per socket read (the
// events that arrived together, up to the socket's high-water mark), and sends
// {"type":"ack","id":N} for each of them only from delivery.ack(), i.e. once Kafka holds every
// record made from them (the pipeline never acks an event whose produce failed: the run ends and
// Tap redelivers it to the next run). Reconnects with backoff; acks that come due while
// disconnected are sent right after the next connection opens (pending-acks.ts). When the run
// stops, the connection stays open until the events in flight are acked (or no ack has come
// for a while), so a graceful stop does not leave Tap to redeliver what Kafka already holds.
//
// Drops: an event that can never be produced (malformed shape, unknown type, undecodable
// record) is counted under its DropReason and STILL acked when it has a numeric id: it cannot
// become valid on redelivery, and left unacked Tap would resend it every retry timeout forever
// (and a live one would block every later event of its DID). A frame without a usable id
// (not JSON, no id) cannot be acked at all: it is counted and logged, and Tap resends it.
//
// A frame larger than --max-frame-bytes is never read (ws refuses it from its header), so its id
// is unknown and it cannot be acked: Tap would send it again on every connection. The run ends
// (SourceProtocolError naming the limit), counted as a FrameTooLarge upstream error; Tap keeps
// the event, and a run with a larger --max-frame-bytes gets it.
//
// --disable-acks (for a Tap run with TAP_DISABLE_ACKS, fire-and-forget) never sends an ack:
// Tap forgets each event once written to the socket, so whatever is in flight when atkafka
// stops or crashes is lost. That mode is lossy by design.
//
// --exactly-once: delivery.ack() means the events are in the open transaction, not committed.
// Their ids are then kept (committed-ids.ts) in the position the transactional sink commits
// with them, and acked to Tap only from committed(), once that transaction committed. A frame
// Tap sends again under a kept id with the same bytes is skipped (counted), and acked when its
// first copy is committed. The ids read back from the cursor at start are kept the same way.
// At the bound of kept ids a frame with a new id is refused: not produced and not acked (Tap
// sends it again after its retry timeout).
import { hash } from 'node:crypto'
import type { Logger } from 'pino'
import type { ValuesOf } from '../../config/option.ts'
import type { SharedConfig } from '../../config/schema.ts'
import { SourceProtocolError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { HEAP_BYTES_PER_NODE } from '../../events/record-limits.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import type { UpstreamMetrics } from '../../pipeline/upstream-metrics.ts'
import {
  FrameTooLargeError,
  readSocketBatches,
  type SocketMessage,
  type SocketSession,
} from '../websocket/reconnecting-socket.ts'
import { createCommittedIds, type TapPosition } from './committed-ids.ts'
import { parseTapMessage } from './parse-tap-message.ts'
import { createPendingAcks } from './pending-acks.ts'
import type { TapMetrics } from './tap-metrics.ts'
import type { tapOptions } from './tap-options.ts'

export type TapSourceConfig = Pick<
  SharedConfig<'stream' | 'socket'>,
  'reconnectMinMs' | 'reconnectMaxMs' | 'idleTimeoutMs' | 'maxFrameBytes'
> &
  Partial<Pick<SharedConfig<'cursor'>, 'exactlyOnce'>> &
  ValuesOf<typeof tapOptions>

export interface TapSource extends Source<TapPosition> {
  /** events received and not yet acked (the atkafka_tap_event_buffer_size gauge) */
  readonly unacked: number
  /** acks waiting for a connection (the atkafka_tap_ack_event_buffer_size gauge) */
  readonly pendingAcks: number
}

const CHANNEL_PATH = '/channel'

/**
 * --exactly-once: an ack written on a connection that stayed open this long is applied by Tap
 * for good (it drops the id from its in-flight set on receipt and deletes the row on a 10 s tick)
 */
const ACK_SETTLE_MS = 20_000
/** how often kept ids that settled are dropped */
const PRUNE_INTERVAL_MS = 1000

export function channelUrl(tapHost: string): string {
  const url = new URL(tapHost)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${CHANNEL_PATH}`
  return url.toString()
}

/** Tap's TAP_ADMIN_PASSWORD guards every route with HTTP Basic auth, user `admin` */
export function basicAuthHeader(password: string): string {
  return `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`
}

export function createTapSource(
  config: TapSourceConfig,
  deps: {
    metrics: UpstreamMetrics & TapMetrics
    logger: Logger
    now?: () => number
    /** after the run stops: close the socket when no ack came for this long (default 2 s) */
    lingerMs?: number
  },
): TapSource {
  const { metrics, logger } = deps
  const now = deps.now ?? Date.now
  const url = channelUrl(config.tapHost)
  const headers = config.tapAdminPassword
    ? { authorization: basicAuthHeader(config.tapAdminPassword) }
    : undefined
  let session: SocketSession | undefined
  // --exactly-once: the ids Tap may still send again, kept in Kafka with each transaction
  const kept = config.exactlyOnce
    ? createCommittedIds(
        {
          maxIds: config.tapMaxCommittedIds,
          maxBytes: config.tapMaxCommittedIdsBytes,
          settleMs: ACK_SETTLE_MS,
          redeliveryWindowMs: config.tapRedeliveryWindowMs,
          depth: config.tapRedeliveryDepth,
        },
        now,
      )
    : undefined
  const publishKept = () => {
    if (kept) metrics.committedIds(kept.size, kept.bytes)
  }
  const acks = createPendingAcks({ send: (text) => session?.send(text) ?? false }, metrics, (id) =>
    kept?.ackSent(id),
  )
  let connections = 0
  let unacked = 0
  /** highest Tap event id received (for the error naming where an oversized frame came) */
  let lastId: number | undefined
  /** set while the run has stopped and the socket stays open for the last acks */
  let onAllAcked: (() => void) | undefined
  const lingerMs = deps.lingerMs ?? 2000

  if (config.disableAcks) {
    logger.warn('acks disabled: events in flight when atkafka stops or crashes are lost (Tap forgets them)')
  }

  // the gauge is set once per burst (a Kafka batch acks thousands of events in one tick)
  let publishing = false
  const publishEventBuffer = () => {
    if (publishing) return
    publishing = true
    queueMicrotask(() => {
      publishing = false
      metrics.tapEventBuffer(unacked)
    })
  }

  /** the ack of a batch of events: a plain closure over their ids (the pipeline keeps only this function) */
  const ackAll = (ids: readonly number[]) => {
    let done = false
    return () => {
      if (done) return
      done = true
      // --exactly-once: in the open transaction; acked to Tap from committed()
      if (kept) {
        kept.staged(ids)
        publishKept()
        return
      }
      unacked -= ids.length
      publishEventBuffer()
      if (!config.disableAcks) for (const id of ids) acks.ack(id)
      if (unacked === 0) onAllAcked?.()
    }
  }

  /** --exactly-once: the transaction holding `position` committed; ack its ids to Tap */
  const committed = (position: TapPosition) => {
    if (!kept) return
    const ids = kept.committed(position)
    if (ids.length === 0) return
    unacked -= ids.length
    publishEventBuffer()
    for (const id of ids) acks.ack(id)
    if (unacked === 0) onAllAcked?.()
  }

  /** frames refused in a row at the bound (one warning per spell) */
  let refusing = 0
  /**
   * --exactly-once: whether a frame is skipped: a copy of a kept id (acked now when committed,
   * with its first copy's commit when in flight) or a new id refused at the bound (Tap sends it
   * again after its retry timeout); throws when Tap breaks the id contract
   */
  const skipKept = (id: number, frame: Buffer): boolean => {
    if (!kept) return false
    let receipt: ReturnType<typeof kept.receive>
    try {
      receipt = kept.receive(id, fingerprint(frame))
    } catch (err) {
      throw new SourceProtocolError('tap broke the id contract exactly-once relies on', { cause: err })
    }
    if (receipt === 'refused') {
      if (refusing++ === 0) {
        logger.warn(
          { kept: kept.size, bytes: kept.bytes },
          'tap ids kept against redelivery are at their bound: new events are left to Tap to send again until older ids leave',
        )
      }
      metrics.committedIdsRefused()
      return true
    }
    refusing = 0
    if (receipt === 'new') return false
    if (receipt === 'reused') {
      logger.info(
        { id },
        'tap sent a new event under an id kept against redelivery (it restarted and numbers from its outbox again): producing it',
      )
      return false
    }
    metrics.redeliverySkipped(receipt)
    if (receipt === 'committed') acks.ack(id)
    return true
  }

  async function* deliveries(signal: AbortSignal, after?: TapPosition): AsyncGenerator<Delivery> {
    if (kept && after) {
      kept.restore(after)
      publishKept()
      logger.info(
        { ids: after.ids.length },
        'tap ids committed by an earlier run read back: Tap sending any of them again is skipped',
      )
    }
    const pruner = kept
      ? setInterval(() => {
          if (kept.prune() > 0) publishKept()
        }, PRUNE_INTERVAL_MS)
      : undefined
    pruner?.unref()
    // The socket gets its own signal: when the run stops, deliveries end at once, but the
    // connection stays open until every delivered event is acked (the pipeline drains what is
    // in flight after it stops reading), so those acks reach Tap instead of being redelivered.
    const socketStop = new AbortController()
    const socket = readSocketBatches(
      {
        url: () => url,
        headers,
        minBackoffMs: config.reconnectMinMs,
        maxBackoffMs: config.reconnectMaxMs,
        idleTimeoutMs: config.idleTimeoutMs,
        highWaterMark: 256,
        maxPayload: config.maxFrameBytes,
        onConnecting: (shown, attempt) => {
          metrics.upstreamState('tap', 'connecting')
          logger.info({ url: shown, attempt }, 'connecting to tap')
        },
        onOpen: (shown) => {
          if (connections++ > 0) metrics.reconnected('tap')
          metrics.upstreamState('tap', 'connected')
          kept?.opened()
          const owed = acks.waiting
          acks.flush()
          logger.info({ url: shown, acksFlushed: owed - acks.waiting, unacked }, 'connected to tap')
        },
        onClose: (err, nextAttemptInMs) => {
          metrics.upstreamState('tap', 'disconnected')
          kept?.closed()
          if (err instanceof FrameTooLargeError) {
            metrics.upstreamError('FrameTooLarge')
            throw new SourceProtocolError(
              `tap sent a frame larger than --max-frame-bytes=${err.limit} (after event id ${lastId ?? 'none'}); it cannot be read or acked, and tap would resend it forever: raise --max-frame-bytes`,
              { cause: err },
            )
          }
          const refused = /status=(401|403)\b/.test(err.message)
          const log = { err: err.message, unacked, acksWaiting: acks.waiting, nextAttemptInMs }
          if (refused) logger.error(log, 'tap refused the connection: check --tap-admin-password')
          else logger.warn(log, 'tap connection lost')
        },
      },
      socketStop.signal,
      (s) => {
        session = s
      },
    )
    try {
      while (!signal.aborted) {
        const result = await nextOrAbort(socket, signal)
        if (result === undefined) break
        if (result.done) break
        const receivedAt = now()
        // one delivery per socket batch: the pipeline sends its records in one call and acks
        // every event of it once Kafka holds them all (drops ride along and are acked with it)
        const events: AtprotoEvent[] = []
        const ids: number[] = []
        const messages = result.value
        for (const message of messages) {
          if (message.binary) {
            metrics.eventDropped('malformed_frame')
            logger.warn(
              { bytes: message.data.length },
              'binary frame on the tap channel (it sends JSON text); dropped',
            )
            continue
          }
          const parsed = parseTapMessage(message.data.toString('utf8'), receivedAt)
          metrics.upstreamFrame(parsed.event ? parsed.event.kind : 'unusable')
          if (parsed.id !== undefined && skipKept(parsed.id, message.data)) continue
          if (parsed.drop) {
            metrics.eventDropped(parsed.drop.reason)
            logger.warn(
              { id: parsed.id ?? null, reason: parsed.drop.reason, err: parsed.drop.message },
              parsed.id === undefined
                ? 'dropped a tap frame without a usable id: it cannot be acked'
                : 'dropped a tap event; acking it so that tap does not resend it forever',
            )
          }
          if (parsed.id === undefined) continue
          ids.push(parsed.id)
          if (lastId === undefined || parsed.id > lastId) lastId = parsed.id
          if (parsed.event) events.push(parsed.event)
        }
        // frames read but not delivered are never acked: Tap resends them after its retry timeout
        if (signal.aborted) break
        if (ids.length === 0) continue
        unacked += ids.length
        publishEventBuffer()
        yield {
          events,
          // read only when the events wait for identity lookups
          get bytes() {
            return heldBytes(messages)
          },
          ack: ackAll(ids),
        }
      }
    } finally {
      clearInterval(pruner)
      lingerThenClose(() => {
        socketStop.abort()
        socket.return(undefined).catch(() => {})
      })
    }
  }

  /**
   * Closes the socket once every delivered event is acked, or once no ack has come for
   * lingerMs (a failed send is never acked: then the rest is left to Tap's redelivery).
   */
  function lingerThenClose(close: () => void) {
    if (config.disableAcks || unacked === 0) return close()
    logger.info({ unacked }, 'keeping the tap connection open for the acks of events still in flight')
    let seen = unacked
    const timer = setInterval(() => {
      if (unacked > 0 && unacked < seen) {
        seen = unacked
        return
      }
      done()
    }, lingerMs)
    const done = () => {
      clearInterval(timer)
      onAllAcked = undefined
      if (unacked > 0)
        logger.warn({ unacked }, 'closing the tap connection with events unacked; tap will resend them')
      close()
    }
    onAllAcked = done
  }

  return {
    deliveries,
    checkpoint: () => kept?.position(),
    committed,
    get connected() {
      return session?.connected ?? false
    },
    get unacked() {
      return unacked
    },
    get pendingAcks() {
      return acks.waiting
    },
  }
}

/**
 * What holding the events parsed from these messages costs: their text, and about
 * HEAP_BYTES_PER_NODE per object or array JSON.parse built (one per '{' or '['; JSON's
 * smallest object takes 2 bytes and ~64 of heap)
 */
function heldBytes(messages: readonly SocketMessage[]): number {
  let bytes = 0
  for (const { data } of messages) {
    let containers = 0
    for (const opener of OPENERS)
      for (let i = data.indexOf(opener); i !== -1; i = data.indexOf(opener, i + 1)) containers++
    bytes += data.length + containers * HEAP_BYTES_PER_NODE
  }
  return bytes
}
const OPENERS = [0x7b, 0x5b] // '{', '['

/** 32 bits of the frame's SHA-1: Tap resends an event byte for byte (its outbox row) */
function fingerprint(frame: Buffer): number {
  return hash('sha1', frame, 'buffer').readUInt32BE(0)
}

/**
 * The socket's next batch, or undefined as soon as the signal aborts (the pending read then
 * settles when the socket closes; frames in it are left to Tap's redelivery). One listener per
 * read: racing every read against one long-lived promise would keep each result reachable
 * from that promise's reactions, and with it every frame ever read.
 */
function nextOrAbort<T>(it: AsyncGenerator<T>, signal: AbortSignal): Promise<IteratorResult<T> | undefined> {
  if (signal.aborted) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    it.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort)
        resolve(r)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
