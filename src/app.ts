// Composition root: config → metrics server, topics, producer, source, pipeline. run() resolves
// on a clean stop (the signal aborted and everything in flight reached Kafka) and rejects on a
// failure that must end the process.
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { Command, Config } from './config/schema.ts'
import { encodeEvent } from './encode/encode-event.ts'
import { createSnowflake } from './encode/snowflake.ts'
import type { AtprotoEvent } from './events/atproto-event.ts'
import { createCollectionFilter } from './filters/collection-filter.ts'
import { startMetricsServer } from './metrics/http-server.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import { createInFlightWindow } from './pipeline/in-flight-window.ts'
import { runPipeline } from './pipeline/run-pipeline.ts'
import type { Source } from './pipeline/types.ts'
import { createProducer } from './sink/kafka/create-producer.ts'
import { ensureTopics } from './sink/kafka/ensure-topics.ts'
import { createKafkaSink, type OutboundRecord } from './sink/kafka/kafka-sink.ts'

export interface AppDeps {
  readonly logger: Logger
  readonly registry?: Registry
}

export interface App {
  readonly metrics: Metrics
  /** the metrics/health HTTP port actually bound */
  readonly metricsPort: number
  run(signal: AbortSignal): Promise<void>
}

export function deadLetterTopic(config: Config): string {
  return config.deadLetterTopic || `${config.outputTopic}.dlq`
}

/** Only the source in use is loaded. */
async function createSource(
  command: Command,
  config: Config,
  metrics: Metrics,
  logger: Logger,
): Promise<Source> {
  switch (command) {
    case 'relay': {
      const { createRelaySource } = await import('./sources/relay/relay-source.ts')
      return createRelaySource(config, { metrics, logger: logger.child({ component: 'relay' }) })
    }
    case 'tap': {
      const { createTapSource } = await import('./sources/tap/tap-source.ts')
      return createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) })
    }
  }
}

export async function createApp(command: Command, config: Config, deps: AppDeps): Promise<App> {
  const { logger } = deps
  const registry = deps.registry ?? new Registry()
  const metrics = createMetrics(registry)
  let source: Source | undefined
  let producerReady = false
  const server = await startMetricsServer(
    config.metricsAddress,
    registry,
    { ready: () => producerReady && (source?.connected ?? false) },
    logger.child({ component: 'http' }),
  )

  const run = async (signal: AbortSignal) => {
    const log = logger.child({ component: 'pipeline' })
    try {
      await ensureTopics(
        config,
        [
          {
            name: config.outputTopic,
            partitions: config.topicPartitions,
            replicationFactor: config.topicReplicationFactor,
            configs: config.topicConfig,
          },
          {
            name: deadLetterTopic(config),
            partitions: 1,
            replicationFactor: config.topicReplicationFactor,
            configs: [],
          },
        ],
        logger.child({ component: 'topics' }),
      )
      const producer = createProducer(config, registry)
      await producer.metadata({ topics: [config.outputTopic, deadLetterTopic(config)] })
      producerReady = true
      log.info({ bootstrap: config.bootstrapServers, topic: config.outputTopic }, 'producer ready')
      const sink = createKafkaSink(
        producer,
        {
          batchSize: config.batchSize,
          lingerMs: config.lingerMs,
          maxMessageBytes: config.maxMessageBytes,
          deadLetterTopic: deadLetterTopic(config),
        },
        { metrics, logger: logger.child({ component: 'sink' }) },
      )
      const snowflake = createSnowflake({ workerId: config.ospreyWorkerId })
      const format = config.ospreyCompatible ? 'osprey' : 'standard'
      const topic = config.outputTopic
      const encode = (event: AtprotoEvent): OutboundRecord => {
        const { key, value } = encodeEvent(event, { format, snowflake })
        return { topic, key, value }
      }
      source = await createSource(command, config, metrics, logger)
      const window = createInFlightWindow(config.maxInFlight, (n) => metrics.inFlight(n))
      try {
        await runPipeline(
          source,
          {
            filter: createCollectionFilter({
              matched: config.matchedCollections,
              ignored: config.ignoredCollections,
            }),
            encode,
            sink,
            window,
            metrics,
            logger: log,
          },
          signal,
        )
        log.info('stopped reading; everything in flight reached Kafka')
      } finally {
        producerReady = false
        await sink.close()
        await producer.close(true)
        log.info('producer closed')
      }
    } finally {
      await server.close()
    }
  }

  return { metrics, metricsPort: server.port, run }
}
