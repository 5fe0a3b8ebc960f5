// AtprotoEvent → Kafka key and value, in the configured output format. The value is UTF-8
// bytes written in one pass: in flight they live outside the V8 heap, and the Kafka client
// does not encode them again.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { ospreyEnvelopeAround } from './osprey-envelope.ts'
import { writeJsonParts } from './raw-json.ts'
import type { Snowflake } from './snowflake.ts'
import { messageKey, standardJsonParts } from './standard-event.ts'

export type OutputFormat = 'standard' | 'osprey'

export interface EncodeOptions {
  readonly format: OutputFormat
  /** action ids for the Osprey format (not drawn from in the standard format) */
  readonly snowflake: Snowflake
  /** enrichment, written as `eventMetadata` when defined (a RawJson is written as it is) */
  readonly metadata?: unknown
  /** Osprey send_time when the event's own time is unusable; defaults to the wall clock */
  readonly now?: () => Date
}

export interface EncodedEvent {
  readonly key: string
  readonly value: Buffer
}

export function encodeEvent(event: AtprotoEvent, options: EncodeOptions): EncodedEvent {
  const parts = standardJsonParts(event, options.metadata)
  if (options.format === 'osprey') {
    const [head, tail] = ospreyEnvelopeAround(event, options.snowflake.next(), options.now)
    parts.unshift(head)
    parts.push(tail)
  }
  return {
    key: messageKey(event),
    value: parts.length === 1 ? Buffer.from(parts[0] as string) : writeJsonParts(parts),
  }
}
