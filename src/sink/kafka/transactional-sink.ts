// The exactly-once sink: a transactional producer. Records are written into the open
// transaction in batches (one produce request at a time); send() resolves once its records are
// in the open transaction, so the relay's seq tracker moves. Every --transaction-interval-ms
// or --transaction-max-events messages the transaction commits together with one more record,
// the cursor at that moment (commitRecord()). Events and cursor thus become visible to
// read_committed consumers atomically: a crash before the commit aborts both, the restart
// resumes from the last committed cursor, and nothing is seen twice. Oversized records go to the
// dead-letter topic inside the same transaction. Any other failure (including being fenced by a
// newer instance with the same transactional id) ends the run; the open transaction is aborted.
import type { Logger } from 'pino'
import { SinkError } from '../../errors.ts'
import type { Metrics } from '../../metrics/metrics.ts'
import type { AtkafkaProducer } from './create-producer.ts'
import { createDeadLetterRecord, tooBig } from './dead-letter.ts'
import type { KafkaSink, OutboundRecord, SinkOptions } from './kafka-sink.ts'

export interface TransactionalSinkOptions extends SinkOptions {
  readonly intervalMs: number
  readonly maxEvents: number
}

export interface TransactionalSink extends KafkaSink {
  /**
   * Registers this producer with the transaction coordinator (InitProducerId): bumps the epoch
   * of the transactional id, which fences any older instance and aborts its open transaction.
   * Call before reading the committed cursor.
   */
  begin(): Promise<void>
  /** the record committed with each transaction (the cursor); undefined: none yet */
  commitRecord: () => OutboundRecord | undefined
  /** called after each commit with the cursor seq it carried (the status page's saved cursor) */
  onCommitted?: (seq: number) => void
}

type Transaction = Awaited<ReturnType<AtkafkaProducer['beginTransaction']>>

interface Item {
  readonly record: OutboundRecord
  readonly call: { remaining: number; resolve(): void; reject(err: Error): void; failed: boolean }
}

/** @platformatic/kafka sends InitProducerId with 0/0 by default; -1/-1 is what lets a new process take over */
const FRESH_PRODUCER = { producerId: -1n, producerEpoch: -1 }

export function createTransactionalSink(
  producer: AtkafkaProducer,
  options: TransactionalSinkOptions,
  deps: { metrics: Metrics; logger: Logger },
): TransactionalSink {
  const { metrics, logger } = deps
  let queue: Item[] = []
  let pending = 0
  let txn: Transaction | undefined
  let begun = false
  let staged = 0
  let openedAt = 0
  let closing = false
  let fatal: Error | undefined
  let wake: (() => void) | undefined
  let worker: Promise<void> | undefined

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms))
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })

  const openTransaction = async (): Promise<Transaction> => {
    if (txn) return txn
    txn = await producer.beginTransaction(begun ? {} : FRESH_PRODUCER)
    begun = true
    openedAt = Date.now()
    return txn
  }

  const stage = async (items: readonly Item[]) => {
    const t = await openTransaction()
    const records: OutboundRecord[] = []
    let dead = 0
    for (const { record } of items) {
      if (!tooBig(record, options.maxMessageBytes)) {
        records.push(record)
        continue
      }
      records.push(
        createDeadLetterRecord(
          record,
          options.deadLetterTopic,
          'oversized_message',
          `value exceeds ${options.maxMessageBytes} bytes`,
          options.maxMessageBytes,
        ),
      )
      dead++
      metrics.eventDropped('oversized_message')
      logger.warn(
        { topic: record.topic, key: record.key, bytes: record.value.length },
        'record too large; written to the dead-letter topic in the transaction',
      )
    }
    await t.send({ messages: records })
    staged += records.length
    metrics.eventsProduced('ok', records.length - dead)
    if (dead > 0) metrics.eventsProduced('dead_letter', dead)
    pending -= items.length
    for (const { call } of items) if (!call.failed && --call.remaining === 0) call.resolve()
  }

  const commit = async () => {
    const t = txn
    if (!t) return
    // let the acks of what was just staged run (they move the seq tracker) before reading the cursor
    await new Promise((r) => setImmediate(r))
    const cursor = sink.commitRecord()
    if (cursor) await t.send({ messages: [cursor] })
    const messages = staged
    await t.commit()
    txn = undefined
    staged = 0
    const seq = cursor ? (JSON.parse(cursor.value.toString()) as { seq?: number }).seq : undefined
    metrics.transactionEnded('committed', messages, seq)
    if (seq !== undefined) sink.onCommitted?.(seq)
    logger.debug({ messages, cursor: seq ?? null }, 'transaction committed')
  }

  const sink: TransactionalSink = {
    // set by the app once the source (and its seq tracker) exists
    commitRecord: () => undefined,
    get pending() {
      return pending
    },
    begin: async () => {
      await openTransaction()
    },
    send(records) {
      if (fatal) return Promise.reject(fatal)
      if (closing) return Promise.reject(new SinkError('sink is closing'))
      if (records.length === 0) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const call = { remaining: records.length, failed: false, resolve, reject }
        for (const record of records) queue.push({ record, call })
        pending += records.length
        worker ??= run()
        wake?.()
      })
    },
    async close() {
      closing = true
      wake?.()
      worker ??= run()
      await worker
    },
    [Symbol.asyncDispose]: () => sink.close(),
  }
  const due = () => staged > 0 && (staged >= options.maxEvents || Date.now() - openedAt >= options.intervalMs)

  async function loop() {
    for (;;) {
      if (queue.length === 0) {
        if (staged > 0 && (closing || due())) {
          await commit()
          continue
        }
        if (closing) return
        await sleep(staged > 0 ? openedAt + options.intervalMs - Date.now() : 60_000)
        continue
      }
      if (queue.length < options.batchSize && options.lingerMs > 0 && !closing && staged === 0) {
        await sleep(options.lingerMs)
      }
      let n = Math.min(options.batchSize, Math.max(1, options.maxEvents - staged), queue.length)
      // a send call (one upstream delivery, e.g. a commit's ops) goes into one transaction
      // whole: the committed cursor covers complete deliveries only, so one split across two
      // transactions would be half-replayed (duplicated) after a crash between them
      while (n < queue.length && queue[n]?.call === queue[n - 1]?.call) n++
      const batch = queue.length === n ? queue : queue.slice(0, n)
      queue = queue.length === n ? [] : queue.slice(n)
      await stage(batch)
      if (due()) await commit()
    }
  }

  async function run() {
    try {
      await loop()
    } catch (err) {
      fatal = new SinkError(`transaction failed; staged=${staged} queued=${queue.length}`, { cause: err })
      logger.error({ err }, 'transaction failed; it is aborted and the run ends')
      metrics.eventsProduced('error', staged + queue.length)
      const t = txn
      txn = undefined
      if (t && !t.completed) {
        await t.abort().then(
          () => metrics.transactionEnded('aborted', staged),
          // fenced or broker gone: the coordinator aborts it (new epoch or transaction timeout)
          (abortErr: unknown) => logger.warn({ err: abortErr }, 'aborting the failed transaction failed too'),
        )
      }
      for (const { call } of queue) {
        if (call.failed) continue
        call.failed = true
        call.reject(fatal)
      }
      queue = []
      pending = 0
    }
  }

  return sink
}
