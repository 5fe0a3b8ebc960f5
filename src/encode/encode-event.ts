// AtprotoEvent → Kafka key and value, in the configured output format. The value is UTF-8
// bytes written once: in flight they live outside the V8 heap, and the Kafka client does not
// encode them again. Enrichment (a RawJson) is copied in as bytes, never spliced into strings.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { ospreyEnvelopeAround } from './osprey-envelope.ts'
import { RawJson } from './raw-json.ts'
import type { Snowflake } from './snowflake.ts'
import { messageKey, metadataOffset, toStandardEvent } from './standard-event.ts'

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

const METADATA_KEY = Buffer.from(',"eventMetadata":')

export function encodeEvent(event: AtprotoEvent, options: EncodeOptions): EncodedEvent {
  const raw = options.metadata instanceof RawJson ? options.metadata : undefined
  const json = JSON.stringify(toStandardEvent(event, raw ? undefined : options.metadata))
  const at = raw ? metadataOffset(json, event) : -1
  const [head, tail] =
    options.format === 'osprey'
      ? ospreyEnvelopeAround(event, options.snowflake.next(), options.now)
      : ['', '']
  // nothing to splice in: one string, encoded once (head and tail are empty in the standard format)
  if (!raw || at < 0) return { key: messageKey(event), value: Buffer.from(head + json + tail) }

  const headBytes = Buffer.byteLength(head)
  const jsonBytes = Buffer.byteLength(json)
  const metaBytes = METADATA_KEY.length + raw.byteLength
  const out = Buffer.allocUnsafe(headBytes + jsonBytes + metaBytes + Buffer.byteLength(tail))
  out.write(head, 0)
  const end = headBytes + out.write(json, headBytes)
  // the event's bytes from its kind's key on move up to make room for eventMetadata
  const atByte = headBytes + (jsonBytes === json.length ? at : Buffer.byteLength(json.slice(0, at)))
  out.copyWithin(atByte + metaBytes, atByte, end)
  out.set(METADATA_KEY, atByte)
  raw.writeTo(out, atByte + METADATA_KEY.length)
  out.write(tail, end + metaBytes)
  return { key: messageKey(event), value: out }
}
