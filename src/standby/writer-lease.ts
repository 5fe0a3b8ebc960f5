// Standby: instances with the same source id join one Kafka consumer group on the (single
// partition) cursor topic; the member assigned that partition is the writer, the others wait.
// When the writer dies, the group coordinator drops it after the session timeout and the
// partition moves to a standby (chooseWriter decides who). Fencing of a writer that was only
// paused (a zombie) is the transactional producer's epoch (--exactly-once); this lease also
// notices the loss at its next heartbeat and ends the run.
import { Consumer, type GroupPartitionsAssigner } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { connectionOptions, type KafkaConfig } from '../kafka/kafka-client-options.ts'
import { chooseWriter, decodeClaim, encodeClaim } from './choose-writer.ts'

export interface WriterLease {
  /** resolves true once this instance is the writer, false if the signal aborted first */
  acquired(signal: AbortSignal): Promise<boolean>
  /** aborts when the writer role is lost (another member got it, or the group failed) */
  readonly lost: AbortSignal
  close(): Promise<void>
}

export async function startWriterLease(
  options: {
    readonly kafka: KafkaConfig
    readonly topic: string
    readonly sourceId: string
    readonly sessionTimeoutMs: number
  },
  deps: { logger: Logger; onRole?: (writer: boolean) => void },
): Promise<WriterLease> {
  const { topic, sessionTimeoutMs } = options
  const { logger } = deps
  const startedAt = Date.now()
  let writerGeneration: number | null = null
  const lost = new AbortController()
  let becameWriter: () => void = () => {}
  const writer = new Promise<void>((resolve) => {
    becameWriter = resolve
  })

  const assign: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
    const claims = [...members.entries()].map(([memberId, m]) => ({
      memberId,
      claim: decodeClaim(m.metadata),
    }))
    const chosen = chooseWriter(claims)
    logger.debug({ claims, chosen }, 'standby group: writer chosen')
    return [...members.keys()].map((memberId) => ({
      memberId,
      assignments: new Map(
        memberId === chosen
          ? [...topics].map((t) => [
              t,
              {
                topic: t,
                partitions: Array.from({ length: metadata.topics.get(t)?.partitionsCount ?? 1 }, (_, i) => i),
              },
            ])
          : [],
      ),
    }))
  }

  const consumer = new Consumer({
    ...connectionOptions(options.kafka),
    groupId: `atkafka-writer:${options.sourceId}`,
    sessionTimeout: sessionTimeoutMs,
    // how long a rebalance waits for the members it knows (a live writer busy with a burst must
    // not lose its role to a joining standby); a dead member is dropped after the session timeout
    rebalanceTimeout: Math.max(60_000, sessionTimeoutMs),
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 5)),
    maxWaitTime: 1000,
    autocommit: false,
    protocolsMetadata: () => encodeClaim({ writerGeneration, startedAt }),
    partitionAssigner: assign,
  })
  consumer.on(
    'consumer:group:join',
    (event: { generationId?: number; assignments?: { topic: string; partitions: number[] }[] }) => {
      const holds = event.assignments?.some((a) => a.topic === topic && a.partitions.includes(0)) ?? false
      if (holds && writerGeneration === null) {
        writerGeneration = event.generationId ?? 0
        logger.info({ generation: writerGeneration }, 'this instance is now the writer')
        deps.onRole?.(true)
        becameWriter()
      } else if (!holds && writerGeneration !== null) {
        writerGeneration = null
        deps.onRole?.(false)
        logger.error('another instance holds the writer role now; stopping')
        lost.abort(new Error('lost the writer role'))
      }
    },
  )
  consumer.on('error', (err: unknown) => {
    logger.error({ err }, 'standby group failed; giving up the writer role')
    lost.abort(err)
  })
  const stream = await consumer.consume({ topics: [topic], autocommit: false, mode: 'latest' })
  // the cursor records themselves are not needed: membership is what counts
  stream.on('data', () => {})
  stream.on('error', (err: unknown) => {
    logger.error({ err }, 'standby group failed; giving up the writer role')
    lost.abort(err)
  })
  logger.info({ group: `atkafka-writer:${options.sourceId}`, sessionTimeoutMs }, 'joined the standby group')

  return {
    lost: lost.signal,
    async acquired(signal) {
      if (writerGeneration !== null) return true
      const aborted = new Promise<false>((resolve) => {
        if (signal.aborted) resolve(false)
        signal.addEventListener('abort', () => resolve(false), { once: true })
      })
      return Promise.race([writer.then(() => true), aborted])
    },
    async close() {
      await stream.close().catch((err: unknown) => logger.warn({ err }, 'closing the standby stream failed'))
      await consumer.close(true)
    },
  }
}
