// Kafka record headers from the canonical event, so a consumer can route or filter (by kind,
// DID, collection, action) or place an event (relay seq, Tap id, rev) without parsing the value.
// Names are short and lowercase; values are UTF-8 strings (numbers in decimal), and a header
// whose field the event does not have is left out. Every record carries `kind` and `format`.
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
  /** relay mode: the seq of the relay frame the event came from */
  seq: 'seq',
  /** relay mode, operations: the op's index in its commit (seq + op-index identify one op) */
  opIndex: 'op-index',
  /** Tap mode: the Tap event id */
  tapId: 'tap-id',
  /** operations and sync: the commit's rev */
  rev: 'rev',
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

/** fields some sources add (the relay's op index, Tap's event id) */
interface Positions {
  readonly tapId?: number
  readonly opIndex?: number
}

/** the headers of the record made from `event` in `format` */
export function recordHeaders(event: AtprotoEvent, format: OutputFormat): Map<string, string> {
  const headers = new Map<string, string>()
  headers.set(HEADER.kind, event.kind)
  const at = event as AtprotoEvent & Positions
  switch (event.kind) {
    case 'operation':
      headers.set(HEADER.did, event.did)
      headers.set(HEADER.collection, event.collection)
      headers.set(HEADER.action, event.action)
      headers.set(HEADER.rev, event.rev)
      break
    case 'sync':
      headers.set(HEADER.did, event.did)
      headers.set(HEADER.rev, event.rev)
      break
    case 'identity':
    case 'account':
      headers.set(HEADER.did, event.did)
      break
    case 'info':
      break
  }
  if ('seq' in event && event.seq !== undefined) headers.set(HEADER.seq, String(event.seq))
  if (at.opIndex !== undefined) headers.set(HEADER.opIndex, String(at.opIndex))
  if (at.tapId !== undefined) headers.set(HEADER.tapId, String(at.tapId))
  headers.set(HEADER.format, FORMAT_VERSIONS[format])
  return headers
}
