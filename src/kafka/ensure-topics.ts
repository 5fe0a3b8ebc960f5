// Creates the output and dead-letter topics at start when they do not exist yet. Resolves with
// every topic the broker has then.
import { Admin } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { SinkError } from '../errors.ts'
import { connectionOptions, type KafkaConfig } from './kafka-client-options.ts'
import { findKafkaError } from './kafka-errors.ts'

export interface TopicSpec {
  readonly name: string
  readonly partitions: number
  readonly replicationFactor: number
  readonly configs: readonly (readonly [string, string])[]
}

export async function ensureTopics(
  config: KafkaConfig,
  topics: readonly TopicSpec[],
  logger: Logger,
): Promise<string[]> {
  const admin = new Admin({ ...connectionOptions(config), retries: 3 })
  try {
    const existing = new Set(await admin.listTopics())
    for (const t of topics) {
      if (existing.has(t.name)) {
        logger.info({ topic: t.name }, 'topic exists')
        continue
      }
      try {
        await admin.createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas: t.replicationFactor,
          configs: t.configs.map(([name, value]) => ({ name, value })),
        })
        existing.add(t.name)
        logger.info(
          { topic: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor },
          'topic created',
        )
      } catch (err) {
        // another client created it in between (the listing can lag behind the controller)
        if (!findKafkaError(err, (id) => (id === 'TOPIC_ALREADY_EXISTS' ? true : undefined))) {
          throw new SinkError(`cannot create topic; topic=${t.name}`, { cause: err })
        }
        existing.add(t.name)
        logger.info({ topic: t.name }, 'topic exists')
      }
    }
    return [...existing]
  } catch (err) {
    if (err instanceof SinkError) throw err
    throw new SinkError(`cannot reach the Kafka brokers; bootstrap=${config.bootstrapServers.join(',')}`, {
      cause: err,
    })
  } finally {
    await admin.close()
  }
}
