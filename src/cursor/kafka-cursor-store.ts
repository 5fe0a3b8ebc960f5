// The cursor kept in Kafka itself: a compacted single-partition topic keyed by source id, so
// atkafka needs no storage of its own. save() resolves after the broker acknowledged the
// record (acks=all); load() reads the topic up to its end and keeps the last record of ours.
import { randomUUID } from 'node:crypto'
import { Consumer, ProduceAcks, type Producer } from '@platformatic/kafka'
import { CursorError } from '../errors.ts'
import { connectionOptions, type KafkaConfig } from '../sink/kafka/kafka-client-options.ts'
import { type CursorStore, parseCursorRecord } from './cursor-store.ts'

export function createKafkaCursorStore(options: {
  readonly kafka: KafkaConfig
  readonly topic: string
  readonly sourceId: string
  readonly upstream: string
  readonly producer: Producer<string, string, string, string>
}): CursorStore {
  const { kafka, topic, sourceId, upstream, producer } = options
  return {
    description: `kafka topic ${topic} key ${sourceId}`,
    async load() {
      const consumer = new Consumer({
        ...connectionOptions(kafka),
        groupId: `atkafka-cursor-load-${randomUUID()}`,
        maxWaitTime: 100,
      })
      try {
        const end = (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0] ?? 0n
        if (end === 0n) return undefined
        let found: number | undefined
        const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
        try {
          for await (const message of stream) {
            if (message.key?.toString() === sourceId) {
              found = parseCursorRecord(message.value.toString(), `${topic}@${message.offset}`).seq
            }
            if (message.offset >= end - 1n) break
          }
        } finally {
          await stream.close()
        }
        return found
      } catch (err) {
        throw new CursorError(`cannot load the cursor; topic=${topic} source=${sourceId}`, { cause: err })
      } finally {
        await consumer.close(true)
      }
    },
    async save(seq) {
      const record = { seq, sourceId, upstream, savedAt: new Date().toISOString() }
      await producer.send({
        messages: [{ topic, key: sourceId, value: JSON.stringify(record) }],
        acks: ProduceAcks.ALL,
      })
    },
  }
}
