// Each firehose command's source: how to open it (its module is loaded only when used), the
// upstream URL the status page shows and cursor records name, and for a source that resumes
// from a position, how that position is stored and which option overrides the stored one.

import type { Logger } from 'pino'
import type { Config, FirehoseCommand } from '../config/schema.ts'
import type { CursorCodec } from '../cursor/cursor-store.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { Source } from '../pipeline/types.ts'
import { relayCursorCodec } from './relay/relay-cursor.ts'

export interface SourceEntry {
  /** as configured (the relay's /xrpc/… and Tap's /channel path are appended to it) */
  upstreamUrl(config: Config): string
  open(config: Config, deps: { metrics: Metrics; logger: Logger }): Promise<Source<unknown>>
  /** resumable sources: how the position is stored */
  readonly cursor?: CursorCodec<unknown>
  /** resumable sources: a position given on the command line, which wins over the stored one */
  override?(config: Config): unknown
}

export const SOURCES: Record<FirehoseCommand, SourceEntry> = {
  relay: {
    upstreamUrl: (config) => config.relayHost,
    async open(config, { metrics, logger }) {
      const { createRelaySource } = await import('./relay/relay-source.ts')
      return createRelaySource(config, { metrics, logger: logger.child({ component: 'relay' }) })
    },
    cursor: relayCursorCodec as CursorCodec<unknown>,
    override: (config) => config.cursor,
  },
  tap: {
    upstreamUrl: (config) => config.tapHost,
    async open(config, { metrics, logger }) {
      const { createTapSource } = await import('./tap/tap-source.ts')
      return createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) })
    },
  },
}
