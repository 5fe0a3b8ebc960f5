// The exactly-once sink: a transactional producer. Records are written into the open
// transaction in batches (one produce request at a time); send() resolves once its records are
// in the open transaction, so the source's checkpoint moves. Every --transaction-interval-ms
// or --transaction-max-events messages the transaction commits together with one more record,
// the cursor at that moment (from the cursor port). Events and cursor thus become visible to
// read_committed consumers atomically: a crash before the commit aborts both, the restart
// resumes from the last committed cursor, and nothing is seen twice. Oversized records go to the
// dead-letter topic inside the same transaction. Each produce request is bounded like the
// at-least-once sink's (--batch-size, --max-request-bytes, --max-batch-bytes): one send call
// (one upstream delivery) may take several requests, but never two transactions. Any other
// failure (including being fenced by a newer instance with the same transactional id) ends the
// run; the open transaction is aborted, so nothing of it is ever seen by read_committed readers.
// A position that moved with no record staged (every event filtered out; Tap ids settling) is
// committed alone, at most once per --transaction-interval-ms and on close: a source that acks
// upstream only after a commit (Tap) would otherwise wait for the next record.
import type { Logger } from 'pino'
import type { CursorPort } from '../../cursor/cursor-store.ts'
import { SinkError } from '../../errors.ts'
import type { AtkafkaProducer } from '../../kafka/create-producer.ts'
import type { Sink } from '../../pipeline/types.ts'
import type { SinkMetrics } from '../sink-metrics.ts'
import { createDeadLetters } from './dead-letter.ts'
import { requestPlanner, type SinkOptions } from './kafka-sink.ts'
import { createPartitions } from './partitions.ts'
import { type QueuedRecord, SendQueue } from './send-queue.ts'

export interface TransactionalSinkOptions extends SinkOptions {
  readonly intervalMs: number
  readonly maxEvents: number
}

type Transaction = Awaited<ReturnType<AtkafkaProducer['beginTransaction']>>

/** @platformatic/kafka sends InitProducerId with 0/0 by default; -1/-1 is what lets a new process take over */
const FRESH_PRODUCER = { producerId: -1n, producerEpoch: -1 }

export function createTransactionalSink<P>(
  producer: AtkafkaProducer,
  options: TransactionalSinkOptions,
  deps: { metrics: SinkMetrics; logger: Logger; cursor: CursorPort<P> },
): Sink {
  const { metrics, logger, cursor } = deps
  const deadLetters = createDeadLetters(options, deps)
  const partitions = createPartitions(producer)
  const planner = requestPlanner(options, partitions)
  const queue = new SendQueue()
  let txn: Transaction | undefined
  let begun = false
  let staged = 0
  let openedAt = 0
  let closing = false
  let fatal: Error | undefined
  let wake: (() => void) | undefined
  let worker: Promise<void> | undefined
  /** when the last commit was */
  let committedAt = 0
  const moved = () => {
    if (!cursor.last) return false
    const position = cursor.position()
    return position !== undefined && position !== cursor.last()
  }

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

  const stage = async (items: readonly QueuedRecord[]) => {
    const t = await openTransaction()
    const { records, diverted } = deadLetters.divertOversized(items.map((i) => i.record))
    await t.send({ messages: records.map(partitions.assign) })
    staged += records.length
    metrics.eventsProduced('ok', records.length - diverted)
    deadLetters.written('oversized_message', diverted)
    SendQueue.written(items)
  }

  const commit = async () => {
    const t = txn ?? (await openTransaction())
    // let the acks of what was just staged run (they move the checkpoint) before reading it
    await new Promise((r) => setImmediate(r))
    const position = cursor.position()
    if (position !== undefined) await t.send({ messages: [cursor.record(position)] })
    const messages = staged
    await t.commit()
    txn = undefined
    staged = 0
    metrics.transactionEnded('committed')
    committedAt = Date.now()
    if (position !== undefined) cursor.committed(position)
    logger.debug({ messages }, 'transaction committed')
  }

  const due = () => staged > 0 && (staged >= options.maxEvents || Date.now() - openedAt >= options.intervalMs)

  async function loop() {
    /** the last record staged: while the queue goes on with its call, no commit */
    let last: QueuedRecord | undefined
    for (;;) {
      if (queue.length === 0) {
        if (staged > 0 && (closing || due())) {
          await commit()
          continue
        }
        if (staged === 0 && moved() && (closing || Date.now() - committedAt >= options.intervalMs)) {
          await commit()
          continue
        }
        if (closing) return
        // idle: look again for a moved position once per interval
        await sleep(
          staged > 0
            ? openedAt + options.intervalMs - Date.now()
            : moved()
              ? committedAt + options.intervalMs - Date.now()
              : options.intervalMs,
        )
        continue
      }
      if (queue.length < options.batchSize && options.lingerMs > 0 && !closing && staged === 0) {
        await sleep(options.lingerMs)
      }
      let batch: QueuedRecord[] = []
      // up to the event bound, or the rest of a call begun in this transaction
      const cap = queue.continues(last) ? queue.headCallLength() : Math.max(1, options.maxEvents - staged)
      await planner
        .next(queue, cap)
        .then((n) => {
          batch = queue.take(n)
          last = batch.at(-1)
          return stage(batch)
        })
        .catch((err: unknown) => {
          SendQueue.failed(batch, new SinkError('staging records in the transaction failed', { cause: err }))
          throw err
        })
      // a send call (one upstream delivery, e.g. a commit's ops) goes into one transaction
      // whole: the committed cursor covers complete deliveries only, so one split across two
      // transactions would be half-replayed (duplicated) after a crash between them
      if (due() && !queue.continues(last)) await commit()
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
          () => metrics.transactionEnded('aborted'),
          // fenced or broker gone: the coordinator aborts it (new epoch or transaction timeout)
          (abortErr: unknown) => logger.warn({ err: abortErr }, 'aborting the failed transaction failed too'),
        )
      }
      queue.failAll(fatal)
    }
  }

  return {
    // InitProducerId bumps the epoch of the transactional id: any older instance is fenced and
    // its open transaction aborted
    ready: async () => {
      await openTransaction()
      // from now on, so that a position moved by events that made no record is committed too
      worker ??= run()
    },
    send(records) {
      if (fatal) return Promise.reject(fatal)
      if (closing) return Promise.reject(new SinkError('sink is closing'))
      const sent = queue.push(records)
      worker ??= run()
      wake?.()
      return sent
    },
    async close() {
      closing = true
      wake?.()
      worker ??= run()
      await worker
    },
  }
}
