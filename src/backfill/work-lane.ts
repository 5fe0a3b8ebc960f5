// One partition of the work topic, as this worker owns it: a transactional producer whose id is
// the partition's (`<prefix>-<partition>`), so whoever takes the partition over fences the one
// before (its open transaction is aborted by the broker, its commits refused) — and only then
// reads the committed offset of the partition, which is stable at that point (no transaction of
// an earlier owner can still commit). Items below that offset were done by someone else and are
// skipped. Every item is one transaction: its records, its outcome record and the consumed
// offset (TxnOffsetCommit with this member's generation) commit together or not at all.
//
// @platformatic/kafka reads committed offsets without KIP-447's require_stable, so the
// consumer's own start offset is not trusted: the floor read after fencing is.
//
// A repo may be in the work topic twice (a planner restarted mid-page, two plans that overlap):
// after fencing, the lane also reads its partition of `<work>.done` (same partition count and
// key partitioning as the work topic, so partition p holds exactly the DIDs of work partition
// p) and skips an item whose DID was copied at its listed rev or later (or, without a listed
// rev, at all). A repo is thus copied once per plan however often it is listed.
import type { Consumer, Message } from '@platformatic/kafka'
import { readCommittedPartition } from '../cursor/read-committed.ts'
import type { AtkafkaProducer } from '../kafka/create-producer.ts'
import type { WorkItem } from './work-item.ts'

type Transaction = Awaited<ReturnType<AtkafkaProducer['beginTransaction']>>
export type WorkMessage = Message<string, Buffer, Buffer, Buffer>
export type WorkConsumer = Consumer<string, Buffer, Buffer, Buffer>

/** what makes a Consumer a WorkConsumer: the key as text, value and headers as the bytes sent */
export const workDeserializers = {
  key: (b?: Buffer) => b?.toString() ?? '',
  value: (b?: Buffer) => b ?? Buffer.alloc(0),
  headerKey: (b?: Buffer) => b ?? Buffer.alloc(0),
  headerValue: (b?: Buffer) => b ?? Buffer.alloc(0),
}

/** most DIDs a lane remembers as done; past it the lane stops with an error (use more partitions) */
const MAX_DONE_PER_PARTITION = 2_000_000

/** @platformatic/kafka sends InitProducerId with 0/0 by default; -1/-1 is what takes over a transactional id */
const FRESH_PRODUCER = { producerId: -1n, producerEpoch: -1 }

export class WorkLane {
  readonly partition: number
  readonly #topic: string
  readonly #consumer: WorkConsumer
  readonly #makeProducer: (transactionalId: string) => AtkafkaProducer
  readonly #transactionalId: string
  readonly #doneTopic: string
  readonly #reader: Consumer
  /** DID → rev copied, for this partition; read after fencing */
  readonly #done = new Map<string, string>()
  #producer: AtkafkaProducer | undefined
  /** the first offset not yet done, read after fencing; undefined until then */
  #floor: bigint | undefined
  #open: Transaction | undefined

  constructor(
    topic: string,
    partition: number,
    consumer: WorkConsumer,
    transactionalPrefix: string,
    makeProducer: (transactionalId: string) => AtkafkaProducer,
    done: { topic: string; reader: Consumer },
  ) {
    this.#doneTopic = done.topic
    this.#reader = done.reader
    this.#topic = topic
    this.partition = partition
    this.#consumer = consumer
    this.#makeProducer = makeProducer
    this.#transactionalId = `${transactionalPrefix}-${partition}`
  }

  /**
   * A transaction for `message`, or undefined when the item was done already (its offset is
   * below the committed one). Fences earlier owners first when this lane is not fenced yet.
   */
  async begin(message: WorkMessage): Promise<Transaction | undefined> {
    if (this.#producer === undefined || this.#floor === undefined) {
      await this.#drop()
      this.#producer = this.#makeProducer(this.#transactionalId)
      // InitProducerId: bumps the epoch, aborts what an earlier owner left open, fences it
      this.#open = await this.#producer.beginTransaction(FRESH_PRODUCER)
      const committed = await this.#consumer.listCommittedOffsets({
        topics: [{ topic: this.#topic, partitions: [this.partition] }],
      })
      const offset = committed.get(this.#topic)?.[this.partition] ?? -1n
      this.#done.clear()
      await readCommittedPartition(this.#reader, this.#doneTopic, this.partition, (r) => {
        if (!r.key || !r.value) return
        const rev = doneRev(r.value)
        if (rev === undefined) return
        if (this.#done.size >= MAX_DONE_PER_PARTITION) {
          throw new Error(
            `backfill: ${this.#doneTopic} partition ${this.partition} holds more than ${MAX_DONE_PER_PARTITION} repos: use more partitions`,
          )
        }
        this.#done.set(r.key.toString(), rev)
      })
      this.#floor = offset < 0n ? 0n : offset
    }
    if (message.offset < this.#floor) return undefined
    const txn = this.#open ?? (await this.#producer.beginTransaction({}))
    this.#open = undefined
    return txn
  }

  /** whether the item's repo was copied already, at its listed rev or later */
  isDone(item: WorkItem): boolean {
    const rev = this.#done.get(item.did)
    if (rev === undefined) return false
    // TIDs sort as strings
    return item.rev === undefined || item.rev <= rev
  }

  /** the item's offset goes into the transaction, which commits; `copiedRev`: the repo it copied */
  async commit(txn: Transaction, message: WorkMessage, copied?: { did: string; rev: string }): Promise<void> {
    await txn.addConsumer(this.#consumer)
    await txn.addOffset(this.#current(message))
    await txn.commit()
    this.#floor = message.offset + 1n
    if (copied !== undefined) this.#done.set(copied.did, copied.rev)
  }

  /** after a failure inside a transaction: abort it; a lane whose abort fails is fenced again before its next item */
  async abort(txn: Transaction): Promise<void> {
    try {
      if (!txn.completed) await txn.abort()
    } catch {
      // fenced or broken: the broker aborts it for us when the next owner (maybe this lane,
      // refenced) takes the transactional id over
      await this.reset()
    }
  }

  /**
   * `message` with the member's current generation: a message keeps the generation it was
   * fetched in, and a rebalance that left the partition with this member (the usual case when
   * another worker joins) would make its offset commit stale (ILLEGAL_GENERATION, retried by the
   * client until it gives up). Who owns the partition is settled by the transactional id, not
   * by the generation (see the top of this file).
   */
  #current(message: WorkMessage): WorkMessage {
    const c = this.#consumer
    return {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      metadata: {
        ...message.metadata,
        consumer: {
          groupId: c.groupId,
          memberId: c.memberId,
          generationId: c.generationId,
          coordinatorId: c.coordinatorId,
        },
      },
    } as unknown as WorkMessage
  }

  /** forget the producer and the floor: the next item fences again and rereads the floor */
  async reset(): Promise<void> {
    await this.#drop()
  }

  async close(): Promise<void> {
    await this.#drop()
  }

  async #drop(): Promise<void> {
    this.#done.clear()
    const producer = this.#producer
    this.#producer = undefined
    this.#floor = undefined
    if (this.#open !== undefined && !this.#open.completed) await this.#open.abort().catch(() => undefined) // an empty transaction; the broker aborts it on the next InitProducerId anyway
    this.#open = undefined
    if (producer !== undefined) await producer.close(true).catch(() => undefined) // nothing of it is needed any more
  }
}

/** the rev of a `<work>.done` record, or undefined when it has none */
function doneRev(value: Buffer): string | undefined {
  try {
    const rev = (JSON.parse(value.toString()) as { rev?: unknown }).rev
    return typeof rev === 'string' ? rev : undefined
  } catch {
    return undefined // not a done record of ours: nothing to skip for it
  }
}
