// Reads every partition of the topics tail follows with a throwaway consumer group: a random
// group id, no offset commits, so tail never moves anyone's offsets and always starts where asked.
import { randomUUID } from 'node:crypto'
import { Admin, Consumer, stringDeserializers } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { connectionOptions, type KafkaConfig } from '../kafka/kafka-client-options.ts'

export interface TailMessage {
  readonly topic: string
  readonly key: string
  readonly value: string
  readonly partition: number
  readonly offset: bigint
}

export interface ConsumeOptions {
  readonly topics: readonly string[]
  /** oldest message of every partition; otherwise only messages produced from now on */
  readonly fromBeginning: boolean
  readonly signal: AbortSignal
  readonly logger: Logger
}

/** The topics' messages until the signal aborts (then the generator ends and the consumer closes). */
export async function* consumeTopic(
  config: KafkaConfig,
  options: ConsumeOptions,
): AsyncGenerator<TailMessage> {
  const { topics, signal, logger } = options
  const consumer = new Consumer<string, string, string, string>({
    ...connectionOptions(config),
    groupId: `atkafka-tail-${randomUUID()}`,
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  })
  let onAbort: (() => void) | undefined
  try {
    if (signal.aborted) return
    const stream = await consumer.consume({
      topics: [...topics],
      mode: options.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
    })
    onAbort = () => void stream.close().catch(() => {})
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) return
    logger.info({ topics, from: options.fromBeginning ? 'beginning' : 'now' }, 'tailing')
    for await (const m of stream) {
      yield {
        topic: m.topic,
        key: m.key ?? '',
        value: m.value ?? '',
        partition: m.partition,
        offset: m.offset,
      }
      if (signal.aborted) break
    }
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort)
    await consumer.close(true).catch((err: unknown) => logger.debug({ err }, 'consumer close failed'))
  }
}

/** the broker's topic names (to expand --topics patterns) */
export async function listTopicNames(config: KafkaConfig): Promise<string[]> {
  const admin = new Admin({ ...connectionOptions(config), retries: 3 })
  try {
    return await admin.listTopics()
  } catch (err) {
    throw new Error(`cannot list topics; bootstrap=${config.bootstrapServers.join(',')}`, { cause: err })
  } finally {
    await admin.close()
  }
}
