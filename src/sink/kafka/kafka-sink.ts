// The at-least-once Kafka sink: send() resolves only after the broker has acknowledged every
// record of the call (acks=all, idempotent producer). Records are batched: while one produce
// request is in flight (the idempotent producer allows one), the next batch fills up; a
// partial batch waits at most lingerMs. Records the broker refuses for good go to the
// dead-letter topic with the reason; anything else that survives the client's retries rejects
// (the run must end).
import { ProduceAcks } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { SinkError } from '../../errors.ts'
import type { Metrics } from '../../metrics/metrics.ts'
import type { OutboundRecord, Sink } from '../../pipeline/types.ts'
import type { AtkafkaProducer } from './create-producer.ts'
import { createDeadLetters, type DeadLetterOptions, isPermanentRecordError } from './dead-letter.ts'
import { type QueuedRecord, SendQueue } from './send-queue.ts'

export interface SinkOptions extends DeadLetterOptions {
  readonly batchSize: number
  readonly lingerMs: number
}

export function createKafkaSink(
  producer: AtkafkaProducer,
  options: SinkOptions,
  deps: { metrics: Metrics; logger: Logger },
): Sink {
  const { metrics, logger } = deps
  const deadLetters = createDeadLetters(options, deps)
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

  // OutboundRecord is already the client's message shape ({topic, key, value}): no copy
  const produce = (records: OutboundRecord[]) => producer.send({ messages: records, acks: ProduceAcks.ALL })

  /** A batch failed with a permanent record error: find the culprits one by one. */
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
      await sendOneByOne(originals)
      return
    }
    metrics.eventsProduced('ok', records.length - diverted)
    deadLetters.written('oversized_message', diverted)
  }

  const flush = async () => {
    clearTimeout(lingerTimer)
    lingerTimer = undefined
    if (sending || queue.length === 0) return
    sending = true
    const batch = queue.take(options.batchSize)
    try {
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
