// A repo's records → canonical events: each record is a `create` with `live: false` (as Tap marks
// its backfill), the commit's rev, and the time by Tap's rule (the record's createdAt, else its
// TID rkey, else the time it was read; never in the future): a backfilled record has no commit
// time of its own.
import type { OperationEvent } from '../events/atproto-event.ts'
import { operationTime } from '../sources/tap/tap-timestamp.ts'
import type { RepoRecord } from './repo-car.ts'

export function recordEvent(did: string, record: RepoRecord, readAtMs: number): OperationEvent {
  return {
    kind: 'operation',
    did,
    rev: record.rev,
    // the rule reads the record's createdAt only
    time: operationTime(
      'create',
      record.createdAt === undefined ? undefined : { createdAt: record.createdAt },
      record.rkey,
      readAtMs,
    ),
    action: 'create',
    collection: record.collection,
    rkey: record.rkey,
    cid: record.cid,
    record: record.record,
    live: false,
  }
}
