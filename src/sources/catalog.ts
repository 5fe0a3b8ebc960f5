// Each firehose command's source: how to open it (its module is loaded only when used), the
// upstream URL the status page shows and cursor records name, and for a source that resumes
// from a position, how that position is stored and which option overrides the stored one.

import type { Logger } from 'pino'
import type { Config, FirehoseCommand } from '../config/schema.ts'
import type { CursorCodec } from '../cursor/cursor-store.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { Source } from '../pipeline/types.ts'
import type { StatusInfo } from '../status/status-report.ts'
import { seqCursorCodec } from './event-stream/seq-cursor.ts'
import { ozoneCursorCodec } from './ozone/ozone-cursor.ts'
import type { OzoneSource } from './ozone/ozone-source.ts'

export interface SourceEntry {
  /** as configured (the relay's /xrpc/… and Tap's /channel path are appended to it) */
  upstreamUrl(config: Config): string
  open(config: Config, deps: { metrics: Metrics; logger: Logger }): Promise<Source<unknown>>
  /** resumable sources: how the position is stored */
  readonly cursor?: CursorCodec<unknown>
  /** resumable sources: a position given on the command line, which wins over the stored one */
  override?(config: Config): unknown
  /** its events are not looked up (no identity stage, no service filter; e.g. ozone-events) */
  readonly withoutIdentity?: true
  /** what the status page shows of the running source beyond the common fields */
  status?(source: Source<unknown>, config: Config): Partial<StatusInfo>
}

export const SOURCES: Record<FirehoseCommand, SourceEntry> = {
  relay: {
    upstreamUrl: (config) => config.relayHost,
    async open(config, { metrics, logger }) {
      const { createRelaySource } = await import('./relay/relay-source.ts')
      return createRelaySource(config, { metrics, logger: logger.child({ component: 'relay' }) })
    },
    cursor: seqCursorCodec as CursorCodec<unknown>,
    override: (config) => config.cursor,
  },
  tap: {
    upstreamUrl: (config) => config.tapHost,
    async open(config, { metrics, logger }) {
      const { createTapSource } = await import('./tap/tap-source.ts')
      return createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) })
    },
  },
  ozone: {
    upstreamUrl: (config) => config.ozonePdsHost,
    // moderation events: their subjects are not firehose accounts to enrich or filter by PDS
    withoutIdentity: true,
    async open(config, { metrics, logger }) {
      const { createOzoneSource } = await import('./ozone/ozone-source.ts')
      return createOzoneSource(
        {
          pdsHost: config.ozonePdsHost,
          identifier: config.ozoneIdentifier,
          password: config.ozonePassword,
          labelerDid: config.ozoneLabelerDid,
          pollIntervalMs: config.ozonePollIntervalMs,
          overlapMs: config.ozoneOverlapMs,
          maxTracked: config.ozoneMaxTracked,
          pageLimit: config.ozonePageLimit,
          requestTimeoutMs: config.ozoneRequestTimeoutMs,
          retryMinMs: config.reconnectMinMs,
          retryMaxMs: config.reconnectMaxMs,
          giveUpAfterMs: config.ozoneGiveUpAfterMs,
          key: config.ozoneKey,
        },
        { metrics, logger: logger.child({ component: 'ozone' }) },
      ) as Source<unknown>
    },
    cursor: ozoneCursorCodec as CursorCodec<unknown>,
    status(source, config) {
      const ozone = source as OzoneSource
      return {
        ozone: {
          labelerDid: config.ozoneLabelerDid,
          safe: ozone.window?.safe(),
          trackedIds: ozone.window?.tracked ?? 0,
          windowShortened: ozone.window?.shortened ?? 0,
          pages: ozone.counts.pages,
          eventsRead: ozone.counts.read,
        },
      }
    },
  },
}
