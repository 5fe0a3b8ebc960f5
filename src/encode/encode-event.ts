// AtprotoEvent → Kafka key and value, in the configured output format. The value is UTF-8
// bytes written once: in flight they live outside the V8 heap, and the Kafka client does not
// encode them again. Enrichment and records already written as JSON (RawJson) are copied in as
// bytes, never spliced into strings.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { RawJson } from '../events/raw-json.ts'
import type { OutputFormat } from '../output/formats.ts'
import type { ActionIds } from './event-action-id.ts'
import { isJetstreamEvent, toJetstreamJson } from './jetstream-event.ts'
import { ospreyEnvelopeAround } from './osprey-envelope.ts'
import {
  messageKey,
  metadataOffset,
  recordOffset,
  SPLICED_METADATA,
  toStandardEvent,
} from './standard-event.ts'

export interface EncodeOptions {
  readonly format: OutputFormat
  /** action ids for the Osprey format: Snowflakes or event-derived (not drawn from in the standard format) */
  readonly snowflake: ActionIds
  /** enrichment, written as `eventMetadata` (null when undefined; a RawJson is written as it is) */
  readonly metadata?: unknown
  /** Osprey send_time when the event's own time is unusable; defaults to the wall clock */
  readonly now?: () => Date
  /** Jetstream's time_us (createMicrosClock); required by the jetstream format */
  readonly clock?: () => number
}

export interface EncodedEvent {
  readonly key: string
  readonly value: Buffer
}

const METADATA_KEY = Buffer.from(',"eventMetadata":')
const RECORD_KEY = Buffer.from(',"record":')
// the event's JSON as UTF-8 before it is split around eventMetadata (3 bytes per UTF-16 unit at
// most); one per process, used synchronously; larger events get a buffer of their own
const SCRATCH = Buffer.allocUnsafeSlow(64 * 1024)

export function encodeEvent(event: AtprotoEvent, options: EncodeOptions): EncodedEvent {
  const key = messageKey(event)
  if (options.format === 'jetstream') return { key, value: jetstreamValue(event, options.clock) }
  const raw = options.metadata instanceof RawJson ? options.metadata : undefined
  // a record already written as JSON (Jetstream v2 archive) is copied in, not parsed
  const record =
    event.kind === 'operation' && event.action !== 'delete' && event.record instanceof RawJson
      ? event.record
      : undefined
  const json = JSON.stringify(
    toStandardEvent(event, raw ? SPLICED_METADATA : options.metadata, record !== undefined),
  )
  const at = raw ? metadataOffset(json, event) : -1
  const recordAt = record ? recordOffset(json) : -1
  if (record && recordAt < 0) throw new TypeError('standard event JSON does not end with its operation')
  const around =
    options.format === 'osprey'
      ? ospreyEnvelopeAround(event, options.snowflake.next(event), options.now)
      : undefined
  // nothing to splice in: one string, encoded once
  if (at < 0 && recordAt < 0) return { key, value: Buffer.from(around ? around[0] + json + around[1] : json) }

  // head (Osprey), the event's JSON up to its kind's key, eventMetadata, the JSON up to the end
  // of `operation`, its record, the rest of the JSON, tail (Osprey): the JSON is encoded once
  // and its parts copied around what is spliced in
  const scratch = json.length * 3 <= SCRATCH.length ? SCRATCH : Buffer.allocUnsafeSlow(json.length * 3)
  const jsonBytes = scratch.write(json, 0)
  const ascii = jsonBytes === json.length
  const atByte = at < 0 || ascii ? at : Buffer.byteLength(json.slice(0, at))
  // the record goes before the last two bytes ("}}")
  const recordByte = recordAt < 0 ? -1 : jsonBytes - 2
  const [head, tail] = around ?? ['', '']
  const headBytes = Buffer.byteLength(head)
  const metaBytes = atByte < 0 ? 0 : METADATA_KEY.length + raw!.byteLength
  const recordBytes = recordByte < 0 ? 0 : RECORD_KEY.length + record!.byteLength
  const out = Buffer.allocUnsafe(headBytes + jsonBytes + metaBytes + recordBytes + Buffer.byteLength(tail))
  if (headBytes > 0) out.write(head, 0)
  let pos = headBytes
  let from = 0
  if (atByte >= 0) {
    pos += scratch.copy(out, pos, 0, atByte)
    out.set(METADATA_KEY, pos)
    pos = raw!.writeTo(out, pos + METADATA_KEY.length)
    from = atByte
  }
  if (recordByte >= 0) {
    pos += scratch.copy(out, pos, from, recordByte)
    out.set(RECORD_KEY, pos)
    pos = record!.writeTo(out, pos + RECORD_KEY.length)
    from = recordByte
  }
  pos += scratch.copy(out, pos, from, jsonBytes)
  if (tail.length > 0) out.write(tail, pos)
  return { key, value: out }
}

/** no metadata in this format (the config refuses it); sync and info are filtered out before */
function jetstreamValue(event: AtprotoEvent, clock: (() => number) | undefined): Buffer {
  if (!clock || !isJetstreamEvent(event)) {
    throw new TypeError(`jetstream format: no clock or no Jetstream shape for a ${event.kind} event`)
  }
  return Buffer.from(toJetstreamJson(event, clock()))
}
