// Which broker refusals are permanent for a record, and the dead-letter record that replaces
// a record the broker will never take.
import type { Logger } from 'pino'
import { findKafkaError } from '../../kafka/kafka-errors.ts'
import type { OutboundRecord } from '../../pipeline/types.ts'
import type { SinkMetrics } from '../sink-metrics.ts'

export type PermanentReason = 'oversized_message' | 'broker_rejected'
/** why a record is dead-lettered: the broker refused it for good, or the source refused it (a forged label) */
export type DeadLetterReason = PermanentReason | 'invalid_signature' | 'wrong_src'

/** Kafka error ids that no retry of the same record can fix. */
const PERMANENT: Record<string, PermanentReason> = {
  MESSAGE_TOO_LARGE: 'oversized_message',
  RECORD_LIST_TOO_LARGE: 'oversized_message',
  INVALID_RECORD: 'broker_rejected',
  CORRUPT_MESSAGE: 'broker_rejected',
  INVALID_TIMESTAMP: 'broker_rejected',
  POLICY_VIOLATION: 'broker_rejected',
}

/** the permanent per-record Kafka error in a produce failure, if there is one */
export function isPermanentRecordError(err: unknown): PermanentReason | undefined {
  return findKafkaError(err, (apiId) => PERMANENT[apiId])
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
  reason: DeadLetterReason,
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

export interface DeadLetterOptions {
  readonly deadLetterTopic: string
  readonly maxMessageBytes: number
}

/** Where a sink sends what the broker refused for good, and how it counts and logs it. */
export function createDeadLetters(
  options: DeadLetterOptions,
  deps: { metrics: SinkMetrics; logger: Logger },
) {
  const { deadLetterTopic, maxMessageBytes } = options
  const replace = (record: OutboundRecord, reason: PermanentReason, detail: string) => {
    deps.logger.warn(
      { topic: record.topic, key: record.key, bytes: record.value.length, reason, detail },
      'record refused by the broker; written to the dead-letter topic instead',
    )
    return createDeadLetterRecord(record, deadLetterTopic, reason, detail, maxMessageBytes)
  }
  /** the record itself, or its dead letter when it is too large for the broker */
  const divertIfOversized = (record: OutboundRecord) =>
    tooBig(record, maxMessageBytes)
      ? replace(record, 'oversized_message', `value exceeds ${maxMessageBytes} bytes`)
      : record
  return {
    /** the dead-letter record for one the broker refused */
    replace,
    divertIfOversized,
    /** the records as they can be written, and how many of them are dead letters */
    divertOversized(records: readonly OutboundRecord[]): { records: OutboundRecord[]; diverted: number } {
      let diverted = 0
      const out = records.map((r) => {
        const d = divertIfOversized(r)
        if (d !== r) diverted++
        return d
      })
      return { records: out, diverted }
    },
    /** after the dead letters are written */
    written(reason: PermanentReason, count: number) {
      if (count === 0) return
      deps.metrics.eventsProduced('dead_letter', count)
      deps.metrics.eventDropped(reason, count)
    },
  }
}
