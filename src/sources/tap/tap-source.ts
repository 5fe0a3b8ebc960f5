// Tap (indigo cmd/tap) as a Source: reads <tap-host>/channel, one delivery per Tap event, and
// sends {"type":"ack","id":N} only from delivery.ack(), i.e. once Kafka holds every record
// made from the event (the pipeline never acks an event whose produce failed: the run ends and
// Tap redelivers it to the next run). Reconnects with backoff; acks that come due while
// disconnected are sent right after the next connection opens (pending-acks.ts).
//
// Drops: an event that can never be produced (malformed shape, unknown type, undecodable
// record) is counted under its DropReason and STILL acked when it has a numeric id: it cannot
// become valid on redelivery, and left unacked Tap would resend it every retry timeout forever
// (and a live one would block every later event of its DID). A frame without a usable id
// (not JSON, no id) cannot be acked at all: it is counted and logged, and Tap resends it.
//
// --disable-acks (for a Tap run with TAP_DISABLE_ACKS, fire-and-forget) never sends an ack:
// Tap forgets each event once written to the socket, so whatever is in flight when atkafka
// stops or crashes is lost. That mode is lossy by design.
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.ts'
import type { Metrics } from '../../metrics/metrics.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import { readSocket, type SocketSession } from '../websocket/reconnecting-socket.ts'
import { parseTapMessage } from './parse-tap-message.ts'
import { createPendingAcks } from './pending-acks.ts'

export type TapSourceConfig = Pick<
  Config,
  'tapHost' | 'tapAdminPassword' | 'disableAcks' | 'reconnectMinMs' | 'reconnectMaxMs' | 'idleTimeoutMs'
>

export interface TapSource extends Source {
  /** events received and not yet acked (the atkafka_tap_event_buffer_size gauge) */
  readonly unacked: number
  /** acks waiting for a connection (the atkafka_tap_ack_event_buffer_size gauge) */
  readonly pendingAcks: number
}

export const CHANNEL_PATH = '/channel'

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
  deps: { metrics: Metrics; logger: Logger; now?: () => number },
): TapSource {
  const { metrics, logger } = deps
  const now = deps.now ?? Date.now
  const url = channelUrl(config.tapHost)
  const headers = config.tapAdminPassword
    ? { authorization: basicAuthHeader(config.tapAdminPassword) }
    : undefined
  let session: SocketSession | undefined
  const acks = createPendingAcks({ send: (text) => session?.send(text) ?? false }, metrics)
  let connected = false
  let connections = 0
  let unacked = 0

  if (config.disableAcks) {
    logger.warn('acks disabled: events in flight when atkafka stops or crashes are lost (Tap forgets them)')
  }

  /** the ack of one event: a plain closure over its id (the pipeline keeps only this function) */
  const ackFor = (id: number) => {
    let done = false
    return () => {
      if (done) return
      done = true
      unacked--
      metrics.tapEventBuffer(unacked)
      if (!config.disableAcks) acks.ack(id)
    }
  }

  async function* deliveries(signal: AbortSignal): AsyncGenerator<Delivery> {
    const socket = readSocket(
      {
        url: () => url,
        headers,
        minBackoffMs: config.reconnectMinMs,
        maxBackoffMs: config.reconnectMaxMs,
        idleTimeoutMs: config.idleTimeoutMs,
        highWaterMark: 256,
        onConnecting: (shown, attempt) => {
          metrics.upstreamState('tap', 'connecting')
          logger.info({ url: shown, attempt }, 'connecting to tap')
        },
        onOpen: (shown) => {
          connected = true
          if (connections++ > 0) metrics.reconnected('tap')
          metrics.upstreamState('tap', 'connected')
          const owed = acks.waiting
          acks.flush()
          logger.info({ url: shown, acksFlushed: owed - acks.waiting, unacked }, 'connected to tap')
        },
        onClose: (err, nextAttemptInMs) => {
          connected = false
          metrics.upstreamState('tap', 'disconnected')
          const refused = /status=(401|403)\b/.test(err.message)
          const log = { err: err.message, unacked, acksWaiting: acks.waiting, nextAttemptInMs }
          if (refused) logger.error(log, 'tap refused the connection: check --tap-admin-password')
          else logger.warn(log, 'tap connection lost')
        },
      },
      signal,
      (s) => {
        session = s
      },
    )
    for await (const message of socket) {
      const receivedAt = now()
      if (message.binary) {
        metrics.eventDropped('malformed_frame')
        logger.warn(
          { bytes: message.data.length },
          'binary frame on the tap channel (it sends JSON text); dropped',
        )
        continue
      }
      const parsed = parseTapMessage(message.data.toString('utf8'), receivedAt)
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
      unacked++
      metrics.tapEventBuffer(unacked)
      // a dropped event goes through as an empty delivery: the pipeline acks those at once
      yield { events: parsed.event ? [parsed.event] : [], ack: ackFor(parsed.id) }
    }
  }

  return {
    deliveries,
    get connected() {
      return connected
    },
    get unacked() {
      return unacked
    },
    get pendingAcks() {
      return acks.waiting
    },
  }
}
