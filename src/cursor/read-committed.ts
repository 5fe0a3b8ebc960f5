// Reads one partition up to its last stable offset as a read_committed consumer must see it.
// @platformatic/kafka 2.12.1's own read_committed filter lets aborted records through when one
// fetch response holds several aborted transactions of one producer, or when the abort marker
// arrives in a later response (docs/kafka-client.md); a restarted exactly-once instance produces
// exactly that (one producer id, a new epoch per restart). So the cursor is read with the raw
// fetch API and filtered here the way the Java consumer does it.
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

export interface AbortedTransaction {
  readonly producerId: bigint
  readonly firstOffset: bigint
}

export interface CommittedRecord {
  readonly offset: bigint
  readonly key: Buffer | null
  readonly value: Buffer | null
}

/**
 * The records of one fetch response's partition that a read_committed consumer sees: a
 * transactional batch is skipped while its producer has an aborted transaction open at that
 * offset (from the response's aborted-transaction list, closed by the producer's abort marker).
 */
export function committedRecords(
  batches: readonly Batch[],
  aborted: readonly AbortedTransaction[],
): CommittedRecord[] {
  const upcoming = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
  const abortedProducers = new Set<bigint>()
  const out: CommittedRecord[] = []
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta)
    while (upcoming.length > 0 && (upcoming[0] as AbortedTransaction).firstOffset <= lastOffset) {
      abortedProducers.add((upcoming.shift() as AbortedTransaction).producerId)
    }
    if (batch.attributes & CONTROL) {
      // control record key: version (int16), type (int16): 0 abort, 1 commit
      const key = batch.records[0]?.key
      if (key && key.length >= 4 && key.readInt16BE(2) === 0) abortedProducers.delete(batch.producerId)
      continue
    }
    if (batch.attributes & TRANSACTIONAL && abortedProducers.has(batch.producerId)) continue
    for (const r of batch.records) {
      out.push({ offset: batch.firstOffset + BigInt(r.offsetDelta), key: r.key, value: r.value })
    }
  }
  return out
}

/** Calls onRecord for every committed record of topic/partition below its last stable offset. */
export async function readCommittedPartition(
  consumer: Consumer,
  topic: string,
  partition: number,
  onRecord: (record: CommittedRecord) => void,
): Promise<void> {
  // the consumer's isolation level (read_committed) makes this the last stable offset
  const end = (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[partition] ?? 0n
  let offset =
    (await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST })).get(topic)?.[
      partition
    ] ?? 0n
  const metadata = await consumer.metadata({ topics: [topic] })
  const info = metadata.topics.get(topic)
  const leader = info?.partitions[partition]?.leader
  if (!info || leader === undefined) throw new Error(`no leader for ${topic}/${partition}`)
  while (offset < end) {
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
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 100,
    })
    const p = response.responses.flatMap((r) => r.partitions).find((x) => x.partitionIndex === partition)
    if (p && p.errorCode !== 0)
      throw new Error(`fetch ${topic}/${partition}@${offset}: error code ${p.errorCode}`)
    const batches = (p?.records ?? []) as unknown as Batch[]
    for (const record of committedRecords(batches, p?.abortedTransactions ?? [])) {
      if (record.offset >= offset && record.offset < end) onRecord(record)
    }
    const last = batches.at(-1)
    if (last) offset = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n
  }
}
