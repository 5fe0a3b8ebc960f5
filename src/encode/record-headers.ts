// Kafka record headers from the canonical event, so a consumer can route or filter (by kind,
// DID, collection, action) or place an event (relay seq, Tap id, rev) without parsing the value.
// Names are short and lowercase; values are UTF-8 strings (numbers in decimal), and a header
// whose field the event does not have is left out. Every record carries `kind` and `format`.
// Built as bytes for every record: names and the few recurring values (kinds, actions, formats,
// collections) are encoded once, so a record costs a Map and its DID, rev and seq.
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { OutputFormat } from './encode-event.ts'

/** the header names, documented in README.md ("Record headers") */
export const HEADER = {
  /** operation, identity, account, sync, info (the canonical kind, whatever the format) */
  kind: 'kind',
  did: 'did',
  /** operations: the record's collection (NSID) */
  collection: 'collection',
  /** operations: create, update or delete */
  action: 'action',
  /** operations and sync: the commit's rev */
  rev: 'rev',
  /** relay mode: the seq of the relay frame the event came from */
  seq: 'seq',
  /** relay mode, operations: the op's index in its commit (seq + op-index identify one op) */
  opIndex: 'op-index',
  /** Tap mode: the Tap event id */
  tapId: 'tap-id',
  /** the value's format and its schema version, e.g. standard/v1 */
  format: 'format',
} as const

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

/** fields some sources add (the relay's op index, Tap's event id) */
interface Positions {
  readonly tapId?: number
  readonly opIndex?: number
}

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

/** the headers of the record made from `event` in `format` */
export function recordHeaders(event: AtprotoEvent, format: OutputFormat): RecordHeaders {
  const headers: RecordHeaders = new Map()
  headers.set(NAME.kind, bytes(event.kind))
  switch (event.kind) {
    case 'operation':
      headers.set(NAME.did, Buffer.from(event.did))
      headers.set(NAME.collection, bytes(event.collection))
      headers.set(NAME.action, bytes(event.action))
      headers.set(NAME.rev, Buffer.from(event.rev))
      break
    case 'sync':
      headers.set(NAME.did, Buffer.from(event.did))
      headers.set(NAME.rev, Buffer.from(event.rev))
      break
    case 'identity':
    case 'account':
      headers.set(NAME.did, Buffer.from(event.did))
      break
    case 'info':
      break
  }
  const at = event as AtprotoEvent & Positions
  if ('seq' in event && event.seq !== undefined) headers.set(NAME.seq, Buffer.from(String(event.seq)))
  if (at.opIndex !== undefined) headers.set(NAME.opIndex, Buffer.from(String(at.opIndex)))
  if (at.tapId !== undefined) headers.set(NAME.tapId, Buffer.from(String(at.tapId)))
  headers.set(NAME.format, bytes(FORMAT_VERSIONS[format]))
  return headers
}

/** the headers as strings (tests, debugging) */
export function headerStrings(headers: RecordHeaders): [string, string][] {
  return [...headers].map(([k, v]) => [k.toString(), v.toString()])
}
