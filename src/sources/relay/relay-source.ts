// The relay firehose (com.atproto.sync.subscribeRepos) as a Source: the shared event-stream
// source (reconnects, error frames, seq tracking, oversized frames) with the relay's frames.
import type { Logger } from 'pino'
import type { Metrics } from '../../metrics/metrics.ts'
import {
  createEventStreamSource,
  type EventStreamConfig,
  type EventStreamSource,
} from '../event-stream/event-stream-source.ts'
import { decodeFrame } from './decode-frame.ts'

export type RelaySourceConfig = Omit<EventStreamConfig, 'host'> & { readonly relayHost: string }

export function createRelaySource(
  config: RelaySourceConfig,
  deps: { metrics: Metrics; logger: Logger; now?: () => string },
): EventStreamSource {
  return createEventStreamSource(
    { name: 'relay', method: 'com.atproto.sync.subscribeRepos', decode: decodeFrame },
    { ...config, host: config.relayHost },
    deps,
  )
}
