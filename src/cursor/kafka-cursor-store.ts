// The cursor kept in Kafka itself: a compacted single-partition topic keyed by source id, so
// atkafka needs no storage of its own. save() resolves after the broker acknowledged the
// record (acks=all); in exactly-once mode record() is committed inside each transaction instead.
// load() reads the topic as a read_committed consumer up to its last stable offset and keeps
// the last record of ours (a record of an aborted transaction is never seen).
import { randomUUID } from 'node:crypto'
import { Consumer, FetchIsolationLevels, ProduceAcks } from '@platformatic/kafka'
import { CursorError } from '../errors.ts'
import type { AtkafkaProducer } from '../sink/kafka/create-producer.ts'
import { connectionOptions, type KafkaConfig } from '../sink/kafka/kafka-client-options.ts'
import type { OutboundRecord } from '../sink/kafka/kafka-sink.ts'
import { type CursorStore, parseCursorRecord } from './cursor-store.ts'
import { readCommittedPartition } from './read-committed.ts'

export interface KafkaCursorStore extends CursorStore {
  /** the record that stores seq (for a transaction) */
  record(seq: number): OutboundRecord
}

export function createKafkaCursorStore(options: {
  readonly kafka: KafkaConfig
  readonly topic: string
  readonly sourceId: string
  readonly upstream: string
  readonly producer: AtkafkaProducer
}): KafkaCursorStore {
  const { kafka, topic, sourceId, upstream, producer } = options
  const record = (seq: number): OutboundRecord => ({
    topic,
    key: sourceId,
    value: Buffer.from(JSON.stringify({ seq, sourceId, upstream, savedAt: new Date().toISOString() })),
  })
  return {
    description: `kafka topic ${topic} key ${sourceId}`,
    record,
    async load() {
      const consumer = new Consumer({
        ...connectionOptions(kafka),
        groupId: `atkafka-cursor-load-${randomUUID()}`,
        maxWaitTime: 100,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      })
      try {
        let found: number | undefined
        await readCommittedPartition(consumer, topic, 0, (record) => {
          if (record.key?.toString() !== sourceId || !record.value) return
          found = parseCursorRecord(record.value.toString(), `${topic}@${record.offset}`).seq
        })
        return found
      } catch (err) {
        throw new CursorError(`cannot load the cursor; topic=${topic} source=${sourceId}`, { cause: err })
      } finally {
        await consumer.close(true)
      }
    },
    async save(seq) {
      await producer.send({ messages: [record(seq)], acks: ProduceAcks.ALL })
    },
  }
}
