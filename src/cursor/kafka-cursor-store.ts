// The cursor kept in Kafka itself: a compacted single-partition topic keyed by source id, so
// atkafka needs no storage of its own. save() resolves after the broker acknowledged the
// record (acks=all); in exactly-once mode record() is committed inside each transaction instead.
// load() reads the topic as a read_committed consumer up to its last stable offset and keeps
// the last record of ours (a record of an aborted transaction is never seen).
import { randomUUID } from 'node:crypto'
import { Consumer, FetchIsolationLevels, ProduceAcks } from '@platformatic/kafka'
import { CursorError } from '../errors.ts'
import type { AtkafkaProducer } from '../kafka/create-producer.ts'
import { connectionOptions, type KafkaConfig } from '../kafka/kafka-client-options.ts'
import type { OutboundRecord } from '../pipeline/types.ts'
import {
  type CursorCodec,
  type CursorOwner,
  type CursorStore,
  cursorRecordJson,
  parseCursorRecord,
} from './cursor-store.ts'
import { readCommittedPartition } from './read-committed.ts'

export interface KafkaCursorStore<P> extends CursorStore<P> {
  /** the record that stores a position (for a transaction) */
  record(position: P): OutboundRecord
}

export function createKafkaCursorStore<P>(
  options: { readonly kafka: KafkaConfig; readonly topic: string; readonly producer: AtkafkaProducer },
  owner: CursorOwner,
  codec: CursorCodec<P>,
): KafkaCursorStore<P> {
  const { kafka, topic, producer } = options
  const { sourceId } = owner
  const record = (position: P): OutboundRecord => ({
    topic,
    key: sourceId,
    value: Buffer.from(cursorRecordJson(codec, owner, position)),
  })
  return {
    location: `kafka topic ${topic} key ${sourceId}`,
    record,
    async load() {
      const consumer = new Consumer({
        ...connectionOptions(kafka),
        groupId: `atkafka-cursor-load-${randomUUID()}`,
        maxWaitTime: 100,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      })
      try {
        let found: P | undefined
        await readCommittedPartition(consumer, topic, 0, (r) => {
          if (r.key?.toString() !== sourceId || !r.value) return
          found = parseCursorRecord(codec, r.value.toString(), `${topic}@${r.offset}`).position
        })
        return found
      } catch (err) {
        throw new CursorError(`cannot load the cursor; topic=${topic} source=${sourceId}`, { cause: err })
      } finally {
        await consumer.close(true)
      }
    },
    async save(position) {
      await producer.send({ messages: [record(position)], acks: ProduceAcks.ALL })
    },
  }
}
