// Which broker refusals are permanent for a record, and the dead-letter record that replaces it.
import type { OutboundRecord } from './kafka-sink.ts'

export type PermanentReason = 'oversized_message' | 'broker_rejected'

/** Kafka error ids that no retry of the same record can fix. */
const PERMANENT: Record<string, PermanentReason> = {
  MESSAGE_TOO_LARGE: 'oversized_message',
  RECORD_LIST_TOO_LARGE: 'oversized_message',
  INVALID_RECORD: 'broker_rejected',
  CORRUPT_MESSAGE: 'broker_rejected',
  INVALID_TIMESTAMP: 'broker_rejected',
  POLICY_VIOLATION: 'broker_rejected',
}

/** Walks an error tree (cause / AggregateError.errors) for a permanent per-record Kafka error. */
export function isPermanentRecordError(err: unknown, depth = 0): PermanentReason | undefined {
  if (!err || typeof err !== 'object' || depth > 8) return undefined
  const e = err as { apiId?: unknown; errors?: unknown; cause?: unknown }
  if (typeof e.apiId === 'string' && e.apiId in PERMANENT) return PERMANENT[e.apiId]
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = isPermanentRecordError(inner, depth + 1)
      if (found) return found
    }
  }
  return isPermanentRecordError(e.cause, depth + 1)
}

/** more bytes than the broker takes in one message (keys are DIDs: ASCII) */
export function tooBig(record: OutboundRecord, maxMessageBytes: number): boolean {
  return record.value.length + record.key.length > maxMessageBytes
}

/**
 * The record written to the dead-letter topic: same key, a JSON value naming the reason and
 * carrying the original value (cut so that the dead-letter record itself fits).
 */
export function createDeadLetterRecord(
  record: OutboundRecord,
  topic: string,
  reason: PermanentReason,
  detail: string,
  maxMessageBytes: number,
): OutboundRecord {
  const bytes = record.value.length
  const room = Math.max(0, Math.floor(maxMessageBytes / 2) - 1024)
  const truncated = bytes > room
  const value = (truncated ? record.value.subarray(0, room) : record.value).toString()
  const json = JSON.stringify({
    reason,
    detail,
    topic: record.topic,
    key: record.key,
    bytes,
    truncated,
    value,
  })
  return { topic, key: record.key, value: Buffer.from(json) }
}
