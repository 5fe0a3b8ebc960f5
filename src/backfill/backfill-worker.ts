// `atkafka backfill` worker: a member of the consumer group on the work topic. Each partition it
// is given is a lane (work-lane.ts) that does its items one after the other, each in its own
// transaction: getRepo from the repo's PDS (within the host's limits), every verified record
// encoded as the other modes encode it, an outcome record (`<work>.done`: the copied rev, or
// `<work>.failed`: the reason), and the item's offset. Lanes run side by side, so a worker has as
// many repos in flight as it has partitions with work (bounded by `maxQueued` items buffered).
// Transient failures (429, 5xx, timeouts, a cut connection) are retried in the lane with backoff;
// final ones (and transient ones past `maxAttempts`) are recorded as failed, without a record
// of the repo: a failed item leaves nothing in the output topics.
import type { Consumer } from '@platformatic/kafka'
import type { Logger } from 'pino'
import type { OperationEvent } from '../events/atproto-event.ts'
import type { AtkafkaProducer } from '../kafka/create-producer.ts'
import type { OutboundRecord } from '../pipeline/types.ts'
import { backoffDelay, pause } from '../sources/backoff.ts'
import { type FetchRepoOptions, fetchRepo, ItemError, type ItemFailure } from './fetch-repo.ts'
import type { HostLimits } from './host-limits.ts'
import { recordEvent } from './repo-events.ts'
import { decodeWorkItem, type WorkItem } from './work-item.ts'
import { type WorkConsumer, WorkLane, type WorkMessage } from './work-lane.ts'

export interface WorkerOptions {
  readonly workTopic: string
  readonly doneTopic: string
  readonly failedTopic: string
  /** transactional ids are `<prefix>-<partition>`: the same for every worker of the group */
  readonly transactionalPrefix: string
  readonly fetch: FetchRepoOptions
  /** tries per item before a transient failure counts as final */
  readonly maxAttempts: number
  readonly retryMinMs: number
  readonly retryMaxMs: number
  /** work items buffered across lanes before the worker stops reading the work topic */
  readonly maxQueued: number
  /** records (and bytes) per produce call inside an item's transaction */
  readonly batchRecords: number
  readonly batchBytes: number
}

export type ItemOutcome = 'done' | 'skipped' | ItemFailure

export interface WorkerStats {
  /** an item ended (skipped: done before, by this or another worker) */
  item(outcome: ItemOutcome, host: string, records: number): void
  /** a transient failure that will be tried again */
  retry(reason: ItemFailure, host: string): void
  /** records produced into an open transaction (not yet committed) */
  records(count: number): void
  /** a transaction that did not commit (fenced, failed, stopping) */
  aborted(): void
}

export interface WorkerDeps {
  readonly consumer: WorkConsumer
  /** a plain consumer (no group) the lanes read `<work>.done` with */
  readonly reader: Consumer
  readonly makeProducer: (transactionalId: string) => AtkafkaProducer
  /** the event's record, or undefined when the event is filtered out */
  readonly encode: (event: OperationEvent) => OutboundRecord | undefined
  readonly hosts: HostLimits
  readonly stats: WorkerStats
  readonly logger: Logger
}

interface LaneState {
  readonly lane: WorkLane
  readonly queue: WorkMessage[]
  running: boolean
}

/** runs until `signal` aborts; rejects when the work topic cannot be read */
export async function runWorker(
  options: WorkerOptions,
  deps: WorkerDeps,
  signal: AbortSignal,
): Promise<void> {
  const { consumer, logger } = deps
  const lanes = new Map<number, LaneState>()
  let queued = 0
  let space: (() => void) | undefined
  const stream = await consumer.consume({
    topics: [options.workTopic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  })
  const onAbort = () => void stream.close().catch(() => {}) // closing twice is harmless
  signal.addEventListener('abort', onAbort, { once: true })
  const assigned = (partition: number) =>
    consumer.assignments?.some((a) => a.topic === options.workTopic && a.partitions.includes(partition)) ??
    false

  const runLane = async (state: LaneState) => {
    state.running = true
    try {
      while (state.queue.length > 0 && !signal.aborted) {
        const message = state.queue[0]!
        if (!assigned(state.lane.partition)) {
          // revoked: what is buffered is someone else's now
          queued -= state.queue.length
          state.queue.length = 0
          await state.lane.close()
          lanes.delete(state.lane.partition)
          break
        }
        await processItem(state.lane, message)
        state.queue.shift()
        queued--
        space?.()
      }
    } finally {
      state.running = false
      space?.()
    }
  }

  const processItem = async (lane: WorkLane, message: WorkMessage) => {
    const decoded = decodeWorkItem(message.value)
    if (typeof decoded === 'string') {
      await finish(
        lane,
        message,
        { did: message.key ?? '', pds: '' },
        new ItemError('invalid_item', decoded),
        0,
      )
      return
    }
    const item = decoded
    const host = new URL(item.pds).host
    let kafkaFailures = 0
    for (let attempt = 1; !signal.aborted; ) {
      let txn: Awaited<ReturnType<WorkLane['begin']>>
      try {
        txn = await lane.begin(message)
      } catch (err) {
        if (!(await kafkaTrouble(lane, err, ++kafkaFailures, 'taking the partition over'))) return
        continue
      }
      if (txn === undefined) {
        deps.stats.item('skipped', host, 0)
        return
      }
      try {
        if (lane.isDone(item)) {
          // listed again (a restarted planner, an overlapping plan): consumed, not copied
          await lane.commit(txn, message)
          deps.stats.item('skipped', host, 0)
          return
        }
        const copied = await copyInto(txn, item)
        await txn.send({
          messages: [{ topic: options.doneTopic, key: item.did, value: doneValue(item, copied) }],
        })
        await lane.commit(txn, message, { did: item.did, rev: copied.rev })
        deps.stats.item('done', host, copied.records)
        return
      } catch (err) {
        await lane.abort(txn)
        deps.stats.aborted()
        if (signal.aborted) return
        if (!(err instanceof ItemError)) {
          // Kafka refused (fenced by a new owner, a broker failure): whoever owns the partition
          // does the item; this lane fences again before it tries
          logger.warn(
            { err, did: item.did, partition: lane.partition },
            'backfill: transaction failed; the item will be redone',
          )
          await lane.reset()
          if (!assigned(lane.partition)) return
          if (++kafkaFailures >= options.maxAttempts) {
            // refused every time while we owned it: the repo itself (a record past the broker's
            // limit) is the likely cause; recorded, so the partition goes on
            const refused = new ItemError(
              'broker_rejected',
              `Kafka refused ${kafkaFailures} times: ${describe(err)}`,
            )
            await finish(lane, message, item, refused, attempt)
            return
          }
          deps.stats.retry('broker_rejected', host)
          await pause(backoffDelay(kafkaFailures, options.retryMinMs, options.retryMaxMs), signal)
          continue
        }
        if (err.transient && attempt < options.maxAttempts) {
          deps.stats.retry(err.reason, host)
          logger.info(
            { did: item.did, reason: err.reason, attempt, err: err.message },
            'backfill: will retry the repo',
          )
          await pause(backoffDelay(attempt, options.retryMinMs, options.retryMaxMs), signal)
          attempt++
          continue
        }
        await finish(lane, message, item, err, attempt)
        return
      }
    }
  }

  /**
   * A Kafka failure outside a repo's transaction (taking the partition over, recording a
   * failure): resolves true to try again after a pause, false when the partition is no longer
   * this worker's (its new owner does the item) or the run stops; rejects past maxAttempts
   * (Kafka itself is failing: the run ends, exit 1).
   */
  const kafkaTrouble = async (lane: WorkLane, err: unknown, failures: number, what: string) => {
    await lane.reset()
    if (signal.aborted || !assigned(lane.partition)) return false
    if (failures >= options.maxAttempts) {
      throw new Error(`backfill: ${what} failed ${failures} times (partition ${lane.partition})`, {
        cause: err,
      })
    }
    logger.warn({ err, partition: lane.partition }, `backfill: ${what} failed; trying again`)
    await pause(backoffDelay(failures, options.retryMinMs, options.retryMaxMs), signal)
    return true
  }

  /** the repo's records into the transaction; resolves with the rev copied and how many records were produced */
  const copyInto = (txn: Awaited<ReturnType<WorkLane['begin']>> & object, item: WorkItem) =>
    fetchRepo(item, options.fetch, deps.hosts, signal, async (records) => {
      let batch: OutboundRecord[] = []
      let bytes = 0
      let produced = 0
      const flush = async () => {
        if (batch.length === 0) return
        const messages = batch
        batch = []
        bytes = 0
        await txn.send({ messages: messages.map(toMessage) })
        produced += messages.length
        deps.stats.records(messages.length)
      }
      const readAt = Date.now()
      for (;;) {
        const step = await records.next()
        if (step.done) {
          await flush()
          return { rev: step.value.rev, records: produced }
        }
        const out = deps.encode(recordEvent(item.did, step.value, readAt))
        if (out === undefined) continue
        batch.push(out)
        bytes += out.value.length
        if (batch.length >= options.batchRecords || bytes >= options.batchBytes) await flush()
      }
    })

  /** a final failure: the reason goes to the failed topic with the offset, nothing else */
  const finish = async (
    lane: WorkLane,
    message: WorkMessage,
    item: WorkItem,
    err: ItemError,
    attempts: number,
  ) => {
    const host = item.pds ? new URL(item.pds).host : ''
    for (let failures = 0; !signal.aborted; ) {
      let txn: Awaited<ReturnType<WorkLane['begin']>>
      try {
        txn = await lane.begin(message)
      } catch (kafkaErr) {
        if (!(await kafkaTrouble(lane, kafkaErr, ++failures, 'recording a failed repo'))) return
        continue
      }
      if (txn === undefined) {
        deps.stats.item('skipped', host, 0)
        return
      }
      try {
        await txn.send({
          messages: [{ topic: options.failedTopic, key: item.did, value: failedValue(item, err, attempts) }],
        })
        await lane.commit(txn, message)
      } catch (kafkaErr) {
        await lane.abort(txn)
        deps.stats.aborted()
        if (!(await kafkaTrouble(lane, kafkaErr, ++failures, 'recording a failed repo'))) return
        continue
      }
      deps.stats.item(err.reason, host, 0)
      logger.warn(
        { did: item.did, pds: item.pds, reason: err.reason, attempts, err: err.message },
        'backfill: repo failed',
      )
      return
    }
  }

  let laneError: unknown
  try {
    for await (const message of stream) {
      if (laneError !== undefined) break
      let state = lanes.get(message.partition)
      if (state === undefined) {
        const lane = new WorkLane(
          options.workTopic,
          message.partition,
          consumer,
          options.transactionalPrefix,
          deps.makeProducer,
          { topic: options.doneTopic, reader: deps.reader },
        )
        state = { lane, queue: [], running: false }
        lanes.set(message.partition, state)
      }
      state.queue.push(message)
      queued++
      if (!state.running) {
        const s = state
        runLane(s).catch((err: unknown) => {
          laneError = err
          void stream.close().catch(() => {}) // ends the loop; the error is rethrown below
        })
      }
      while (queued >= options.maxQueued && laneError === undefined && !signal.aborted) {
        await new Promise<void>((resolve) => {
          space = resolve
        })
        space = undefined
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    await stream.close().catch(() => {}) // already closed when the loop ended by abort
    // let the lanes see the abort and end their transactions
    while ([...lanes.values()].some((s) => s.running)) await new Promise((r) => setTimeout(r, 20))
    for (const s of lanes.values()) await s.lane.close()
  }
  if (laneError !== undefined) throw laneError
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function toMessage(r: OutboundRecord) {
  return r.headers
    ? { topic: r.topic, key: r.key, value: r.value, headers: r.headers }
    : { topic: r.topic, key: r.key, value: r.value }
}

/** `<work>.done`, keyed by DID (compacted: the latest copy of each repo): what live mode skips up to */
function doneValue(item: WorkItem, copied: { rev: string; records: number }): Buffer {
  return Buffer.from(
    JSON.stringify({
      did: item.did,
      pds: item.pds,
      rev: copied.rev,
      records: copied.records,
      at: new Date().toISOString(),
    }),
  )
}

function failedValue(item: WorkItem, err: ItemError, attempts: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      did: item.did,
      pds: item.pds,
      reason: err.reason,
      message: err.message,
      attempts,
      at: new Date().toISOString(),
    }),
  )
}
