// AtprotoEvent → Kafka key and value, in the configured output format.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { toOspreyEnvelope } from './osprey-envelope.ts'
import type { Snowflake } from './snowflake.ts'
import { messageKey, toStandardJson } from './standard-event.ts'

export type OutputFormat = 'standard' | 'osprey'

export function encodeEvent(
  event: AtprotoEvent,
  options: { readonly format: OutputFormat; readonly snowflake: Snowflake; readonly metadata?: unknown },
): { key: string; value: string } {
  const standard = toStandardJson(event, options.metadata)
  return {
    key: messageKey(event),
    value:
      options.format === 'osprey' ? toOspreyEnvelope(event, standard, options.snowflake.next()) : standard,
  }
}
