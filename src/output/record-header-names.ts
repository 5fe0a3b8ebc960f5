// The Kafka record headers atkafka can write (--record-headers names them): the output's
// vocabulary, below config/ (which parses the option) and encode/ (which writes them).

/** the header names, documented in README.md ("Record headers") */
export const HEADER = {
  /** operation, identity, account, sync, info, moderation, label (the canonical kind, whatever the format) */
  kind: 'kind',
  did: 'did',
  /** operations: the record's collection (NSID) */
  collection: 'collection',
  /** operations: create, update or delete; moderation: the event's type (e.g. modEventTakedown) */
  action: 'action',
  /** operations and sync: the commit's rev */
  rev: 'rev',
  /** relay mode: the seq of the relay frame the event came from; labels: the labeler's seq */
  seq: 'seq',
  /** relay mode, operations: the op's index in its commit (seq + op-index identify one op) */
  opIndex: 'op-index',
  /** Tap mode: the Tap event id */
  tapId: 'tap-id',
  /** ozone-events: Ozone's event id */
  ozoneId: 'ozone-id',
  /** labels: the labeler that made the label */
  src: 'src',
  /** labels: the label's value (e.g. spam, !hide) */
  val: 'val',
  /** labels: true for a negation (the label removed), else false */
  neg: 'neg',
  /** the value's format and its schema version, e.g. standard/v1 */
  format: 'format',
} as const

export type HeaderName = (typeof HEADER)[keyof typeof HEADER]
export const HEADER_NAMES = Object.values(HEADER) as readonly HeaderName[]
