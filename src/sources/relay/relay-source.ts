// The relay firehose (com.atproto.sync.subscribeRepos) as a Source: the shared event-stream
// source (reconnects, error frames, seq tracking, oversized frames) with the relay's frames.
import type { Logger } from 'pino'
import type { UpstreamMetrics } from '../../pipeline/upstream-metrics.ts'
import type { EventStreamMetrics } from '../event-stream/event-stream-metrics.ts'
import {
  createEventStreamSource,
  type EventStreamConfig,
  type EventStreamSource,
} from '../event-stream/event-stream-source.ts'
import { decodeRepoMessage, SUBSCRIBE_REPOS } from './decode-frame.ts'

export type RelaySourceConfig = Omit<EventStreamConfig, 'host'> & { readonly relayHost: string }

export function createRelaySource(
  config: RelaySourceConfig,
  deps: { metrics: UpstreamMetrics & EventStreamMetrics; logger: Logger; now?: () => string },
): EventStreamSource {
  return createEventStreamSource(
    {
      name: 'relay',
      method: 'com.atproto.sync.subscribeRepos',
      lexicon: SUBSCRIBE_REPOS,
      decodeMessage: decodeRepoMessage,
    },
    { ...config, host: config.relayHost },
    deps,
  )
}
