// Kafka record headers from the canonical event, so a consumer can route or filter (by kind,
// DID, collection, action) or place an event (relay seq, Tap id, rev) without parsing the value.
// Names are short and lowercase; values are UTF-8 strings (numbers in decimal), and a header
// whose field the event does not have is left out. Every record carries `kind` and `format`.
// Built as bytes for every record: names and the few recurring values (kinds, actions, formats,
// collections) are encoded once, so a record costs a Map and its DID, rev and seq.

import { moderationType } from '../events/action-name.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { OutputFormat } from '../output/formats.ts'
import { HEADER, type HeaderName } from '../output/record-header-names.ts'

/**
 * The value's format and schema version. The version goes up when a format's shape changes
 * in a way its consumers must know about (a field removed, renamed or retyped).
 */
export const FORMAT_VERSIONS: Readonly<Record<OutputFormat, string>> = {
  standard: 'standard/v1',
  osprey: 'osprey/v1',
  jetstream: 'jetstream/v1',
}

/** header names and values as the producer writes them */
export type RecordHeaders = Map<Buffer, Buffer>

const NAME = Object.fromEntries(Object.entries(HEADER).map(([k, v]) => [k, Buffer.from(v)])) as Record<
  keyof typeof HEADER,
  Buffer
>

// kinds, actions and formats are few; collections are upstream input, so the cache starts over
// past a bound (the common ones are back in it within a few events)
const MAX_CACHED = 2048
const cached = new Map<string, Buffer>()
function bytes(value: string): Buffer {
  let b = cached.get(value)
  if (b === undefined) {
    if (cached.size >= MAX_CACHED) cached.clear()
    b = Buffer.from(value)
    cached.set(value, b)
  }
  return b
}

type HeaderKey = keyof typeof HEADER
const KEY_OF = Object.fromEntries(Object.entries(HEADER).map(([k, v]) => [v, k])) as Record<
  HeaderName,
  HeaderKey
>

/**
 * The header builder for a record format: every header (`all`), or only the named ones (each
 * costs the Kafka client about 0.3 us per record, see docs/performance.md).
 */
export function createHeaderBuilder(
  format: OutputFormat,
  names: readonly HeaderName[] | 'all' = 'all',
): (event: AtprotoEvent) => RecordHeaders {
  const on = new Set<HeaderKey>(
    names === 'all' ? (Object.keys(HEADER) as HeaderKey[]) : names.map((n) => KEY_OF[n]),
  )
  const kind = on.has('kind')
  const did = on.has('did')
  const collection = on.has('collection')
  const action = on.has('action')
  const rev = on.has('rev')
  const seq = on.has('seq')
  const opIndex = on.has('opIndex')
  const tapId = on.has('tapId')
  const ozoneId = on.has('ozoneId')
  const src = on.has('src')
  const val = on.has('val')
  const neg = on.has('neg')
  const formatValue = on.has('format') ? bytes(FORMAT_VERSIONS[format]) : undefined
  return (event) => {
    const headers: RecordHeaders = new Map()
    if (kind) headers.set(NAME.kind, bytes(event.kind))
    switch (event.kind) {
      case 'operation':
        if (did) headers.set(NAME.did, Buffer.from(event.did))
        if (collection) headers.set(NAME.collection, bytes(event.collection))
        if (action) headers.set(NAME.action, bytes(event.action))
        if (rev) headers.set(NAME.rev, Buffer.from(event.rev))
        break
      case 'sync':
        if (did) headers.set(NAME.did, Buffer.from(event.did))
        if (rev) headers.set(NAME.rev, Buffer.from(event.rev))
        break
      case 'identity':
      case 'account':
        if (did) headers.set(NAME.did, Buffer.from(event.did))
        break
      case 'moderation':
        if (did) headers.set(NAME.did, Buffer.from(event.did))
        if (action) headers.set(NAME.action, bytes(moderationType(event)))
        if (ozoneId) headers.set(NAME.ozoneId, Buffer.from(String(event.id)))
        break
      case 'label':
        if (did) headers.set(NAME.did, Buffer.from(event.did))
        if (src) headers.set(NAME.src, bytes(event.src))
        if (val) headers.set(NAME.val, bytes(event.val))
        if (neg) headers.set(NAME.neg, bytes(String(event.neg)))
        break
      case 'info':
        break
    }
    if (seq && 'seq' in event && event.seq !== undefined)
      headers.set(NAME.seq, Buffer.from(String(event.seq)))
    if (opIndex && event.kind === 'operation' && event.opIndex !== undefined)
      headers.set(NAME.opIndex, Buffer.from(String(event.opIndex)))
    if (tapId && 'tapId' in event && event.tapId !== undefined)
      headers.set(NAME.tapId, Buffer.from(String(event.tapId)))
    if (formatValue) headers.set(NAME.format, formatValue)
    return headers
  }
}

const ALL = {
  standard: createHeaderBuilder('standard'),
  osprey: createHeaderBuilder('osprey'),
  jetstream: createHeaderBuilder('jetstream'),
}

/** every header of the record made from `event` in `format` */
export function recordHeaders(event: AtprotoEvent, format: OutputFormat): RecordHeaders {
  return ALL[format](event)
}

/** the headers as strings (tests, debugging) */
export function headerStrings(headers: RecordHeaders): [string, string][] {
  return [...headers].map(([k, v]) => [k.toString(), v.toString()])
}
