// The Kafka sink: send() resolves only after the broker has acknowledged every record of the
// call (acks=all, idempotent producer). Records are batched: while one produce request is in
// flight (the idempotent producer allows one), the next batch fills up; a partial batch waits
// at most lingerMs. Records the broker refuses for good go to the dead-letter topic with the
// reason; anything else that survives the client's retries rejects (the run must end).
import { ProduceAcks } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { SinkError } from '../../errors.ts'
import type { Metrics } from '../../metrics/metrics.ts'
import type { AtkafkaProducer } from './create-producer.ts'
import {
  createDeadLetterRecord,
  isPermanentRecordError,
  type PermanentReason,
  tooBig,
} from './dead-letter.ts'

export interface OutboundRecord {
  readonly topic: string
  readonly key: string
  /** UTF-8 JSON */
  readonly value: Buffer
}

export interface SinkOptions {
  readonly batchSize: number
  readonly lingerMs: number
  readonly maxMessageBytes: number
  readonly deadLetterTopic: string
}

interface PendingCall {
  remaining: number
  failed: boolean
  resolve(): void
  reject(err: Error): void
}

interface Item {
  readonly record: OutboundRecord
  readonly call: PendingCall
}

export interface KafkaSink extends AsyncDisposable {
  send(records: readonly OutboundRecord[]): Promise<void>
  /** records accepted by send() whose broker acknowledgement is still outstanding */
  readonly pending: number
  close(): Promise<void>
}

export function createKafkaSink(
  producer: AtkafkaProducer,
  options: SinkOptions,
  deps: { metrics: Metrics; logger: Logger },
): KafkaSink {
  const { metrics, logger } = deps
  let queue: Item[] = []
  let sending = false
  let lingerTimer: NodeJS.Timeout | undefined
  let fatal: Error | undefined
  let pending = 0

  const settle = (items: readonly Item[], err?: Error) => {
    pending -= items.length
    for (const { call } of items) {
      if (call.failed) continue
      if (err) {
        call.failed = true
        call.reject(err)
      } else if (--call.remaining === 0) call.resolve()
    }
  }

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

  const deadLetter = async (record: OutboundRecord, reason: PermanentReason, detail: string) => {
    await produce([
      createDeadLetterRecord(record, options.deadLetterTopic, reason, detail, options.maxMessageBytes),
    ])
    metrics.eventsProduced('dead_letter', 1)
    metrics.eventDropped(reason)
    logger.warn(
      { topic: record.topic, key: record.key, bytes: record.value.length, reason, detail },
      'record refused by the broker; written to the dead-letter topic',
    )
  }

  /** A batch failed with a permanent record error: find the culprits one by one. */
  const sendOneByOne = async (items: readonly Item[]) => {
    for (const item of items) {
      try {
        await produce([item.record])
        metrics.eventsProduced('ok', 1)
      } catch (err) {
        const reason = isPermanentRecordError(err)
        if (!reason) throw err
        await deadLetter(item.record, reason, (err as Error).message)
      }
    }
  }

  const flush = async () => {
    if (lingerTimer) {
      clearTimeout(lingerTimer)
      lingerTimer = undefined
    }
    if (sending || queue.length === 0) return
    sending = true
    const batch = queue.length <= options.batchSize ? queue : queue.slice(0, options.batchSize)
    queue = queue.length <= options.batchSize ? [] : queue.slice(options.batchSize)
    try {
      const fits: Item[] = []
      for (const item of batch) {
        if (tooBig(item.record, options.maxMessageBytes))
          await deadLetter(item.record, 'oversized_message', `value exceeds ${options.maxMessageBytes} bytes`)
        else fits.push(item)
      }
      if (fits.length > 0) {
        try {
          await produce(fits.map((i) => i.record))
          metrics.eventsProduced('ok', fits.length)
        } catch (err) {
          if (!isPermanentRecordError(err)) throw err
          await sendOneByOne(fits)
        }
      }
      settle(batch)
    } catch (err) {
      metrics.eventsProduced('error', batch.length)
      fatal = new SinkError(`produce failed after retries; records=${batch.length}`, { cause: err })
      logger.error({ err }, 'produce failed after the client retries; nothing more will be acknowledged')
      settle(batch, fatal)
      const rest = queue
      queue = []
      settle(rest, fatal)
    } finally {
      sending = false
    }
    schedule()
  }

  const close = async () => {
    if (lingerTimer) clearTimeout(lingerTimer)
    lingerTimer = undefined
    while (queue.length > 0 || sending) {
      if (!sending) await flush()
      else await new Promise((r) => setTimeout(r, 5))
    }
  }

  return {
    get pending() {
      return pending
    },
    send(records) {
      if (fatal) return Promise.reject(fatal)
      if (records.length === 0) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const call: PendingCall = { remaining: records.length, failed: false, resolve, reject }
        for (const record of records) queue.push({ record, call })
        pending += records.length
        schedule()
      })
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
