// AtprotoEvent → Kafka key and value, in the configured output format.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { toOspreyEnvelope } from './osprey-envelope.ts'
import type { Snowflake } from './snowflake.ts'
import { messageKey, toStandardJson } from './standard-event.ts'

export type OutputFormat = 'standard' | 'osprey'

export interface EncodeOptions {
  readonly format: OutputFormat
  /** action ids for the Osprey format (not drawn from in the standard format) */
  readonly snowflake: Snowflake
  /** enrichment, written as `eventMetadata` when defined */
  readonly metadata?: unknown
  /** Osprey send_time when the event's own time is unusable; defaults to the wall clock */
  readonly now?: () => Date
}

export interface EncodedEvent {
  readonly key: string
  readonly value: string
}

export function encodeEvent(event: AtprotoEvent, options: EncodeOptions): EncodedEvent {
  const standard = toStandardJson(event, options.metadata)
  return {
    key: messageKey(event),
    value:
      options.format === 'osprey'
        ? toOspreyEnvelope(event, standard, options.snowflake.next(), options.now)
        : standard,
  }
}
