// Reads every partition of the output topic with a throwaway consumer group: a random group id,
// no offset commits, so tail never moves anyone's offsets and always starts where asked.
import { randomUUID } from 'node:crypto'
import { Consumer, stringDeserializers } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { connectionOptions, type KafkaConfig } from '../sink/kafka/kafka-client-options.ts'

export interface TailMessage {
  readonly key: string
  readonly value: string
  readonly partition: number
  readonly offset: bigint
}

export interface ConsumeOptions {
  readonly topic: string
  /** oldest message of every partition; otherwise only messages produced from now on */
  readonly fromBeginning: boolean
  readonly signal: AbortSignal
  readonly logger: Logger
}

/** The topic's messages until the signal aborts (then the generator ends and the consumer closes). */
export async function* consumeTopic(
  config: KafkaConfig,
  options: ConsumeOptions,
): AsyncGenerator<TailMessage> {
  const { topic, signal, logger } = options
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
      topics: [topic],
      mode: options.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
    })
    onAbort = () => void stream.close().catch(() => {})
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) return
    logger.info({ topic, from: options.fromBeginning ? 'beginning' : 'now' }, 'tailing')
    for await (const m of stream) {
      yield { key: m.key ?? '', value: m.value ?? '', partition: m.partition, offset: m.offset }
      if (signal.aborted) break
    }
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort)
    await consumer.close(true).catch((err: unknown) => logger.debug({ err }, 'consumer close failed'))
  }
}
