// The at-least-once Kafka sink: send() resolves only after the broker has acknowledged every
// record of the call (acks=all, idempotent producer). Records are batched: while one produce
// request is in flight (the idempotent producer allows one), the next batch fills up; a
// partial batch waits at most lingerMs. A request holds at most --batch-size records,
// --max-request-bytes in all and --max-batch-bytes per partition (request-bounds.ts), so the
// broker never refuses it for its size. Records the broker refuses for good go to the
// dead-letter topic with the reason. When a request fails for some partitions only, the
// partitions it wrote are done: only the records of the partitions the broker refused are sent
// again (one by one, to find the culprits), so no record is written twice in a run (the client
// starts a new producer id after a failure, so a resent record would not be deduplicated).
// Anything else that survives the client's retries rejects (the run must end).
import { ProduceAcks } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { SinkError } from '../../errors.ts'
import type { AtkafkaProducer } from '../../kafka/create-producer.ts'
import { type OutboundRecord, recordBytes, type Sink } from '../../pipeline/types.ts'
import type { SinkMetrics } from '../sink-metrics.ts'
import { createDeadLetters, type DeadLetterOptions, isPermanentRecordError, tooBig } from './dead-letter.ts'
import { createPartitions, type Partitions, partitionKey, produceOutcome } from './partitions.ts'
import { type Measured, RECORD_OVERHEAD_BYTES, type RequestLimits, requestLength } from './request-bounds.ts'
import { type QueuedRecord, SendQueue } from './send-queue.ts'

export interface SinkOptions extends DeadLetterOptions {
  readonly batchSize: number
  readonly lingerMs: number
  /** bytes per produce request (--max-request-bytes) */
  readonly maxRequestBytes: number
  /** bytes per partition batch (--max-batch-bytes) */
  readonly maxBatchBytes: number
}

/**
 * The request bounds of the options, and how a queued record counts against them: its bytes
 * and partition, or those of its dead letter when it is too large for the broker.
 */
export function requestPlanner(options: SinkOptions, partitions: Pick<Partitions, 'refresh' | 'of'>) {
  const limits: RequestLimits = {
    records: options.batchSize,
    requestBytes: options.maxRequestBytes,
    partitionBytes: options.maxBatchBytes,
  }
  const measure = ({ record }: QueuedRecord): Measured => {
    const diverted = tooBig(record, options.maxMessageBytes)
    const topic = diverted ? options.deadLetterTopic : record.topic
    const bytes = diverted ? options.maxMessageBytes : recordBytes(record)
    return {
      bytes: bytes + RECORD_OVERHEAD_BYTES,
      partition: partitionKey(topic, partitions.of(diverted ? { ...record, topic } : record)),
    }
  }
  return {
    /**
     * How many of the queued records make the next request (at most `records`, default
     * --batch-size). Reads the partition counts of their topics first; records queued while
     * it waits are left to the next request (their topics were not read).
     */
    async next(queue: SendQueue, records = limits.records): Promise<number> {
      const n = Math.min(queue.length, records, limits.records)
      const items = queue.peek()
      const topics = new Set([options.deadLetterTopic])
      for (let i = 0; i < n; i++) topics.add((items[i] as QueuedRecord).record.topic)
      await partitions.refresh(topics)
      // the queue only grows at its tail while no request is in flight: its head is the same
      return requestLength(queue.peek(), { ...limits, records: n }, measure)
    },
  }
}

export function createKafkaSink(
  producer: AtkafkaProducer,
  options: SinkOptions,
  deps: { metrics: SinkMetrics; logger: Logger },
): Sink {
  const { metrics, logger } = deps
  const deadLetters = createDeadLetters(options, deps)
  const partitions = createPartitions(producer)
  const planner = requestPlanner(options, partitions)
  const queue = new SendQueue()
  let sending = false
  let lingerTimer: NodeJS.Timeout | undefined
  let fatal: Error | undefined

  const schedule = () => {
    if (sending || queue.length === 0) return
    if (queue.length >= options.batchSize || options.lingerMs === 0) {
      void flush()
    } else if (!lingerTimer) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined
        void flush()
      }, options.lingerMs)
    }
  }

  // each message names its partition: the sink bounds partition batches and reads which
  // partitions a failed request wrote (partitions.ts)
  const produce = (records: readonly OutboundRecord[]) =>
    producer.send({ messages: records.map(partitions.assign), acks: ProduceAcks.ALL })

  /** Records the broker refused: find the culprits one by one. */
  const sendOneByOne = async (records: readonly OutboundRecord[]) => {
    for (const original of records) {
      const record = deadLetters.divertIfOversized(original)
      if (record !== original) {
        await produce([record])
        deadLetters.written('oversized_message', 1)
        continue
      }
      try {
        await produce([record])
        metrics.eventsProduced('ok', 1)
      } catch (err) {
        const reason = isPermanentRecordError(err)
        if (!reason) throw err
        await produce([deadLetters.replace(record, reason, (err as Error).message)])
        deadLetters.written(reason, 1)
      }
    }
  }

  const write = async (batch: readonly QueuedRecord[]) => {
    const originals = batch.map((i) => i.record)
    const { records, diverted } = deadLetters.divertOversized(originals)
    try {
      await produce(records)
    } catch (err) {
      if (!isPermanentRecordError(err)) throw err
      await retryRefused(originals, records, err)
      return
    }
    metrics.eventsProduced('ok', records.length - diverted)
    deadLetters.written('oversized_message', diverted)
  }

  /**
   * A request failed with a permanent error for some partitions: the records of the partitions
   * it wrote are done, those of the partitions the broker refused go again one by one. A record
   * whose partition has no answer at all may be written or not: the run ends rather than guess.
   */
  const retryRefused = async (
    originals: readonly OutboundRecord[],
    sent: readonly OutboundRecord[],
    err: unknown,
  ) => {
    const { written, refused } = produceOutcome(err)
    const again: OutboundRecord[] = []
    let ok = 0
    let dead = 0
    for (let i = 0; i < sent.length; i++) {
      const record = sent[i] as OutboundRecord
      const where = partitionKey(record.topic, partitions.of(record))
      if (written.has(where)) {
        if (record === originals[i]) ok++
        else dead++
      } else if (refused.has(where)) again.push(originals[i] as OutboundRecord)
      else throw err
    }
    metrics.eventsProduced('ok', ok)
    deadLetters.written('oversized_message', dead)
    logger.warn(
      { written: ok + dead, again: again.length, refusedPartitions: [...refused] },
      'produce refused for some partitions; sending only their records again, one by one',
    )
    await sendOneByOne(again)
  }

  const flush = async () => {
    clearTimeout(lingerTimer)
    lingerTimer = undefined
    if (sending || queue.length === 0) return
    sending = true
    let batch: QueuedRecord[] = []
    try {
      batch = queue.take(await planner.next(queue))
      await write(batch)
      SendQueue.written(batch)
    } catch (err) {
      metrics.eventsProduced('error', batch.length)
      fatal = new SinkError(`produce failed after retries; records=${batch.length}`, { cause: err })
      logger.error({ err }, 'produce failed after the client retries; nothing more will be acknowledged')
      SendQueue.failed(batch, fatal)
      queue.failAll(fatal)
    } finally {
      sending = false
    }
    schedule()
  }

  return {
    send(records) {
      if (fatal) return Promise.reject(fatal)
      const sent = queue.push(records)
      schedule()
      return sent
    },
    async close() {
      clearTimeout(lingerTimer)
      lingerTimer = undefined
      while (queue.length > 0 || sending) {
        if (!sending) await flush()
        else await new Promise((r) => setTimeout(r, 5))
      }
    },
  }
}
