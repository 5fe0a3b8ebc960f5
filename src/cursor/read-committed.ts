// Reads one partition as a read_committed consumer must see it: every non-transactional record,
// and the records of each transaction whose commit marker has been written (an aborted or still
// open transaction is never seen).
//
// @platformatic/kafka 2.12.1's read_committed filter (Consumer#filterUncommittedMessages, applied
// by consumer.fetch to every READ_COMMITTED response) gets transactions of one producer id wrong:
// it can let aborted records through, and it can drop committed ones after an aborted
// transaction (docs/kafka-client.md). A restarted exactly-once instance produces exactly that
// pattern (one producer id, a new epoch per restart). So the partition is fetched
// READ_UNCOMMITTED (the client then leaves the records alone), up to the last stable offset,
// and each transaction is decided here by its own control marker, which is what
// read_committed means.
import { type Consumer, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka'

const CONTROL = 0x20
const TRANSACTIONAL = 0x10

export interface Batch {
  readonly firstOffset: bigint
  readonly lastOffsetDelta: number
  readonly attributes: number
  readonly producerId: bigint
  readonly records: readonly {
    readonly offsetDelta: number
    readonly key: Buffer | null
    readonly value: Buffer | null
  }[]
}

export interface CommittedRecord {
  readonly offset: bigint
  readonly key: Buffer | null
  readonly value: Buffer | null
}

/**
 * Decides the transactions of fetched batches (in offset order) by their control markers: a
 * transactional batch is held per producer until that producer's next marker, then kept
 * (commit) or dropped (abort). `open` carries the held batches across fetch responses; what
 * is still held at the end belongs to a transaction not decided yet and is not returned.
 */
export function committedRecords(
  batches: readonly Batch[],
  open: Map<bigint, CommittedRecord[]> = new Map(),
): CommittedRecord[] {
  const out: CommittedRecord[] = []
  for (const batch of batches) {
    if (batch.attributes & CONTROL) {
      // control record key: version (int16), type (int16): 0 abort, 1 commit
      const key = batch.records[0]?.key
      const held = open.get(batch.producerId)
      open.delete(batch.producerId)
      if (held && key && key.length >= 4 && key.readInt16BE(2) === 1) out.push(...held)
      continue
    }
    const records = batch.records.map((r) => ({
      offset: batch.firstOffset + BigInt(r.offsetDelta),
      key: r.key,
      value: r.value,
    }))
    if (!(batch.attributes & TRANSACTIONAL)) {
      out.push(...records)
      continue
    }
    const held = open.get(batch.producerId)
    if (held) held.push(...records)
    else open.set(batch.producerId, records)
  }
  // a commit releases records that came before non-transactional ones: keep offset order
  return out.sort((x, y) => (x.offset < y.offset ? -1 : x.offset > y.offset ? 1 : 0))
}

/**
 * Calls onRecord for every committed record of topic/partition below its last stable offset,
 * from `from` (default: the earliest). Returns that last stable offset: the `from` of the next
 * read, which then sees each committed record once.
 */
export async function readCommittedPartition(
  consumer: Consumer,
  topic: string,
  partition: number,
  onRecord: (record: CommittedRecord) => void,
  from?: bigint,
): Promise<bigint> {
  // listed as read_committed: the last stable offset (below it every transaction is decided)
  const end =
    (
      await consumer.listOffsets({ topics: [topic], isolationLevel: FetchIsolationLevels.READ_COMMITTED })
    ).get(topic)?.[partition] ?? 0n
  const earliest =
    (await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST })).get(topic)?.[
      partition
    ] ?? 0n
  const start = from !== undefined && from > earliest ? from : earliest
  if (start >= end) return end
  let offset = start
  const metadata = await consumer.metadata({ topics: [topic] })
  const info = metadata.topics.get(topic)
  const leader = info?.partitions[partition]?.leader
  if (!info || leader === undefined) throw new Error(`no leader for ${topic}/${partition}`)
  // a transaction with records below `end` is decided, but its marker may come after `end`
  // (another producer's transaction opened in between): read on to the high watermark for it
  const highWatermark =
    (
      await consumer.listOffsets({ topics: [topic], isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED })
    ).get(topic)?.[partition] ?? 0n
  const open = new Map<bigint, CommittedRecord[]>()
  while (offset < end || (open.size > 0 && offset < highWatermark)) {
    const response = await consumer.fetch({
      node: leader,
      topics: [
        {
          topicId: info.id,
          partitions: [
            {
              partition,
              fetchOffset: offset,
              partitionMaxBytes: 1 << 20,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
      // uncommitted: the client filters nothing, committedRecords() decides each transaction
      isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      maxWaitTime: 100,
    })
    const p = response.responses.flatMap((r) => r.partitions).find((x) => x.partitionIndex === partition)
    if (p && p.errorCode !== 0)
      throw new Error(`fetch ${topic}/${partition}@${offset}: error code ${p.errorCode}`)
    const batches = (p?.records ?? []) as unknown as Batch[]
    for (const record of committedRecords(batches, open)) {
      // a fetch from inside a batch returns it whole: what is below `start` was read before
      if (record.offset < end && record.offset >= start) onRecord(record)
    }
    const last = batches.at(-1)
    if (last) offset = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n
  }
  return end
}
