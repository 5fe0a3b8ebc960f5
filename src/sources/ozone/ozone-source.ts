// A labeler's Ozone moderation events as a Source (`atkafka ozone-events`): logs in on the
// moderator's PDS and calls tools.ozone.moderation.queryEvents through it (header
// `atproto-proxy: <labeler did>#atproto_labeler`), oldest first, 100 a page.
//
// Each pass starts at the window's edge (ozone-window.ts) and follows Ozone's response cursor
// page after page until a short page: a backlog drains as fast as Ozone answers, and the next
// pass, one poll interval later, re-reads the overlap so that events committed late are not
// missed. Each page is one delivery; its events not produced before are its events; the
// window's safe() position moves when Kafka holds a page and every page before it.
//
// Failures: an expired session is renewed and the call repeated at once; a transient failure
// (network, timeout, 5xx, 429, the PDS's UpstreamFailure) is retried with backoff and jitter,
// never in a tight loop; a configuration problem before the first page (wrong password, a DID
// that is not a labeler, an account that is not a moderator) ends the run with a ConfigError
// (exit 2) naming the option; past the first page the same answers are retried like
// transient ones; failing for longer than giveUpAfterMs ends the run (exit 1).
import type { Logger } from 'pino'
import { ConfigError, SourceConnectionError, SourceProtocolError } from '../../errors.ts'
import type { ModerationEvent } from '../../events/atproto-event.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import type { UpstreamMetrics } from '../../pipeline/upstream-metrics.ts'
import { backoffDelay, pause } from '../backoff.ts'
import { checkModEventView, type OzoneKey, toModerationEvent } from './mod-event-view.ts'
import { type Failure, type FailureContext, queryFailure } from './ozone-failures.ts'
import type { OzoneMetrics } from './ozone-metrics.ts'
import type { OzonePosition } from './ozone-position.ts'
import { createOzoneSession, OzoneFailure, type OzoneSession } from './ozone-session.ts'
import { createOzoneWindow, type OzoneWindow } from './ozone-window.ts'
import { type XrpcCall, XrpcTransportError, xrpcCall } from './xrpc-call.ts'

export interface OzoneSourceConfig {
  /** the moderator's PDS, e.g. https://pds.example.com */
  readonly pdsHost: string
  readonly identifier: string
  readonly password: string
  readonly labelerDid: string
  /** wait between passes once caught up */
  readonly pollIntervalMs: number
  readonly overlapMs: number
  readonly maxTracked: number
  /** queryEvents limit: 1..100 */
  readonly pageLimit: number
  readonly requestTimeoutMs: number
  readonly retryMinMs: number
  readonly retryMaxMs: number
  /** failing without a single success for this long ends the run; 0: never */
  readonly giveUpAfterMs: number
  readonly key: OzoneKey
}

/** what the source reports: its upstream and drops, and its own series (ozone-metrics.ts) */
export type OzoneSourceMetrics = UpstreamMetrics & OzoneMetrics

export interface OzoneSource extends Source<OzonePosition> {
  /** the window's safe position: what the cursor is saved at */
  checkpoint(): OzonePosition | undefined
  /** the high-water mark of the run under way (undefined before deliveries() started) */
  readonly window: OzoneWindow | undefined
  readonly session: OzoneSession
  /** pages read, events read (with re-reads), events handed on */
  readonly counts: { readonly pages: number; readonly read: number; readonly fresh: number }
}

const QUERY_EVENTS = 'tools.ozone.moderation.queryEvents'

interface CheckedView {
  readonly id: number
  readonly createdAt: string
  readonly did: string
  readonly view: Record<string, unknown>
}

interface Page {
  readonly events: unknown[]
  readonly cursor: string | undefined
}

export function createOzoneSource(
  config: OzoneSourceConfig,
  deps: {
    metrics: OzoneSourceMetrics
    logger: Logger
    call?: XrpcCall
    now?: () => number
    random?: () => number
  },
): OzoneSource {
  const { metrics, logger } = deps
  const call = deps.call ?? xrpcCall
  const now = deps.now ?? Date.now
  const ctx: FailureContext = config
  const session = createOzoneSession(config, { call, logger: logger.child({ part: 'session' }), now })
  let window: OzoneWindow | undefined
  const counts = { pages: 0, read: 0, fresh: 0 }
  let connected = false
  let everSucceeded = false
  let failingSince: number | undefined
  let attempt = 0

  const setConnected = (up: boolean) => {
    if (up === connected) return
    connected = up
    metrics.upstreamState('ozone', up ? 'connected' : 'disconnected')
    if (up && everSucceeded) metrics.reconnected('ozone')
  }

  /** one queryEvents page, retried until it succeeds, the signal aborts, or the run must end */
  const fetchPage = async (
    createdAfter: string | undefined,
    cursor: string | undefined,
    signal: AbortSignal,
  ): Promise<Page | undefined> => {
    let renewedFor: string | undefined
    for (;;) {
      if (signal.aborted) return undefined
      let failure: Failure | { kind: 'transport'; message: string }
      try {
        const token = await session.token(signal)
        const res = await call({
          baseUrl: config.pdsHost,
          method: QUERY_EVENTS,
          params: { sortDirection: 'asc', limit: config.pageLimit, createdAfter, cursor },
          token,
          headers: { 'atproto-proxy': `${config.labelerDid}#atproto_labeler` },
          timeoutMs: config.requestTimeoutMs,
          maxBytes: 64 << 20,
          signal,
        })
        if (res.ok) {
          const body = res.body as { events?: unknown; cursor?: unknown }
          if (!Array.isArray(body?.events)) {
            throw new SourceProtocolError(`${QUERY_EVENTS} answered without an events array`)
          }
          if (body.cursor !== undefined && typeof body.cursor !== 'string') {
            throw new SourceProtocolError(`${QUERY_EVENTS} answered a cursor that is not a string`)
          }
          everSucceeded = true
          failingSince = undefined
          attempt = 0
          setConnected(true)
          return { events: body.events, cursor: body.cursor }
        }
        failure = queryFailure(res, ctx)
        if (failure.kind === 'session' && renewedFor !== token) {
          // renew once for this token and ask again at once
          renewedFor = token
          session.invalidate(token)
          metrics.ozoneRequestFailed('session')
          logger.info({ why: failure.message }, 'session expired; renewing')
          continue
        }
      } catch (err) {
        if (signal.aborted) return undefined
        if (err instanceof OzoneFailure) failure = err.failure
        else if (err instanceof XrpcTransportError) failure = { kind: 'transport', message: err.message }
        else throw err
      }
      metrics.ozoneRequestFailed(failure.kind)
      if (failure.kind === 'fatal') {
        throw new SourceProtocolError(`${failure.message}; labeler=${config.labelerDid}`)
      }
      if (failure.kind === 'config' && !everSucceeded) throw new ConfigError([failure.problem])
      const message = failure.kind === 'config' ? failure.problem : failure.message
      metrics.upstreamError(failure.kind === 'transport' ? 'OzoneUnreachable' : `Ozone${failure.kind}`)
      setConnected(false)
      const t = now()
      failingSince ??= t
      if (config.giveUpAfterMs > 0 && t - failingSince >= config.giveUpAfterMs) {
        throw new SourceConnectionError(
          `no answer from Ozone for ${Math.round((t - failingSince) / 1000)} s, giving up; last: ${message}`,
        )
      }
      attempt++
      const hinted = 'retryAfterMs' in failure ? failure.retryAfterMs : undefined
      const delay = Math.max(
        backoffDelay(attempt, config.retryMinMs, config.retryMaxMs, deps.random),
        Math.min(hinted ?? 0, config.retryMaxMs),
      )
      logger.warn({ err: message, attempt, nextAttemptInMs: delay }, 'Ozone request failed; retrying')
      await pause(delay, signal)
    }
  }

  const checkViews = (views: readonly unknown[]): CheckedView[] => {
    const refs: CheckedView[] = []
    for (const view of views) {
      const checked = checkModEventView(view)
      if (!checked.ok) {
        metrics.eventDropped('invalid_event')
        logger.warn({ reason: checked.reason }, 'moderation event without what atkafka needs; dropped')
        continue
      }
      refs.push({
        id: checked.id,
        createdAt: checked.createdAt,
        did: checked.did,
        view: view as Record<string, unknown>,
      })
    }
    return refs
  }

  async function* deliveries(signal: AbortSignal, after?: OzonePosition): AsyncGenerator<Delivery> {
    const w = createOzoneWindow(after, { overlapMs: config.overlapMs, maxTracked: config.maxTracked })
    window = w
    metrics.upstreamState('ozone', 'connecting')
    logger.info(
      {
        pdsHost: config.pdsHost,
        identifier: config.identifier,
        labelerDid: config.labelerDid,
        createdAfter: after?.createdAfter ?? null,
        seen: after?.seen.length ?? 0,
      },
      after ? 'resuming Ozone events' : 'reading Ozone events from the first one',
    )
    while (!signal.aborted) {
      const passMs = now()
      const createdAfter = w.beginPass(passMs)
      // how far back this pass reads
      const spanMs = createdAfter === undefined ? undefined : passMs - Date.parse(createdAfter)
      metrics.ozoneWindow(w.tracked, w.shortened, spanMs)
      let cursor: string | undefined
      for (;;) {
        const page = await fetchPage(createdAfter, cursor, signal)
        if (!page) return
        counts.pages++
        counts.read += page.events.length
        if (page.events.length === 0) {
          metrics.ozonePage(0, 0)
          break
        }
        const { fresh, ack } = w.admit(checkViews(page.events))
        counts.fresh += fresh.length
        metrics.ozonePage(page.events.length, fresh.length)
        metrics.ozoneWindow(w.tracked, w.shortened, spanMs)
        const events: ModerationEvent[] = fresh.map((r) => toModerationEvent(r.view, r, config.key))
        yield { events, ack }
        if (!page.cursor || page.events.length < config.pageLimit) break
        cursor = page.cursor
        if (signal.aborted) return
      }
      await pause(config.pollIntervalMs, signal)
    }
  }

  return {
    deliveries,
    get connected() {
      return connected
    },
    checkpoint: () => window?.safe(),
    get window() {
      return window
    },
    session,
    counts,
  }
}
