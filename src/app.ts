// Composition root: config → metrics server, topics, producer, source, pipeline. run() resolves
// on a clean stop (the signal aborted and everything in flight reached Kafka) and rejects on a
// failure that must end the process.
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { Config, FirehoseCommand } from './config/schema.ts'
import { startCursorSaver } from './cursor/cursor-saver.ts'
import type { CursorStore } from './cursor/cursor-store.ts'
import { createFileCursorStore } from './cursor/file-cursor-store.ts'
import { createKafkaCursorStore, type KafkaCursorStore } from './cursor/kafka-cursor-store.ts'
import { encodeEvent } from './encode/encode-event.ts'
import { createEventActionIds } from './encode/event-action-id.ts'
import type { RawJson } from './encode/raw-json.ts'
import { createSnowflake } from './encode/snowflake.ts'
import { createIdentityStageFromConfig } from './enrich/create-identity-stage.ts'
import { SinkError } from './errors.ts'
import type { AtprotoEvent } from './events/atproto-event.ts'
import { createCollectionFilter } from './filters/collection-filter.ts'
import type { RecentLog } from './logging/recent-log.ts'
import { startMetricsServer } from './metrics/http-server.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import { createInFlightWindow } from './pipeline/in-flight-window.ts'
import { runPipeline } from './pipeline/run-pipeline.ts'
import type { Source } from './pipeline/types.ts'
import { type AtkafkaProducer, createProducer } from './sink/kafka/create-producer.ts'
import { ensureTopics } from './sink/kafka/ensure-topics.ts'
import { createKafkaSink, type KafkaSink, type OutboundRecord } from './sink/kafka/kafka-sink.ts'
import { createTransactionalSink, type TransactionalSink } from './sink/kafka/transactional-sink.ts'
import { startWriterLease } from './standby/writer-lease.ts'
import type { StatusInfo } from './status/status-report.ts'
import { startStatusService } from './status/status-service.ts'

export interface AppDeps {
  readonly logger: Logger
  readonly registry?: Registry
  /** the logger's last warn/error lines, shown on the status page */
  readonly recentLog?: RecentLog
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

export function relaySourceId(config: Config): string {
  return config.sourceId || `relay:${new URL(config.relayHost).host}`
}

/** exactly-once: stable per source id, so a restarted or standby instance fences the old one */
export function transactionalId(config: Config): string {
  return `atkafka:${relaySourceId(config)}`
}

interface Running {
  readonly source: Source
  /** relay: where the cursor is kept */
  readonly cursorStore?: string
  /** called after the pipeline stopped, before the producer closes */
  readonly finish?: () => Promise<void>
}

/** Only the source in use is loaded. */
async function createSource(
  command: FirehoseCommand,
  config: Config,
  deps: {
    metrics: Metrics
    logger: Logger
    producer: AtkafkaProducer
    onCursorSaved: (seq: number) => void
    /** exactly-once: the cursor commits inside this sink's transactions */
    transactional?: TransactionalSink
  },
): Promise<Running> {
  const { metrics, logger, producer, transactional, onCursorSaved } = deps
  switch (command) {
    case 'relay': {
      const { createRelaySource } = await import('./sources/relay/relay-source.ts')
      const log = logger.child({ component: 'cursor' })
      const store = createCursorStore(config, producer)
      const stored = store ? await store.load() : undefined
      const cursor = config.cursor ?? stored
      log.info(
        { store: store?.description ?? 'none', stored: stored ?? null, cursor: cursor ?? null },
        cursor === undefined ? 'no cursor: starting at the live head' : 'resuming after cursor',
      )
      const source = createRelaySource(
        { ...config, cursor },
        { metrics, logger: logger.child({ component: 'relay' }) },
      )
      if (!store) return { source, cursorStore: 'none' }
      if (transactional && 'record' in store) {
        transactional.commitRecord = () => {
          const seq = source.tracker.safe()
          return seq === undefined ? undefined : store.record(seq)
        }
        transactional.onCommitted = onCursorSaved
        return { source, cursorStore: `${store.description}, committed in each transaction` }
      }
      const saver = startCursorSaver(store, () => source.tracker.safe(), config.cursorSaveIntervalMs, {
        logger: log,
        onSaved: deps.onCursorSaved,
      })
      return {
        source,
        cursorStore: store.description,
        finish: async () => {
          saver.stop()
          await saver.flush()
          log.info({ cursor: source.tracker.safe() ?? null }, 'cursor saved')
        },
      }
    }
    case 'tap': {
      const { createTapSource } = await import('./sources/tap/tap-source.ts')
      return { source: createTapSource(config, { metrics, logger: logger.child({ component: 'tap' }) }) }
    }
  }
}

/** standby: the lease once this instance is the writer; null if the signal aborted first */
async function waitForWriterRole(config: Config, metrics: Metrics, logger: Logger, signal: AbortSignal) {
  const log = logger.child({ component: 'standby' })
  metrics.writer(false)
  const lease = await startWriterLease(
    {
      kafka: config,
      topic: config.cursorTopic,
      sourceId: relaySourceId(config),
      sessionTimeoutMs: config.standbySessionTimeoutMs,
    },
    { logger: log, onRole: (writer) => metrics.writer(writer) },
  )
  log.info('standby: waiting for the writer role')
  if (await lease.acquired(signal)) return lease
  await lease.close()
  return null
}

function createCursorStore(
  config: Config,
  producer: AtkafkaProducer,
): CursorStore | KafkaCursorStore | undefined {
  const sourceId = relaySourceId(config)
  switch (config.cursorStore) {
    case 'kafka':
      return createKafkaCursorStore({
        kafka: config,
        topic: config.cursorTopic,
        sourceId,
        upstream: config.relayHost,
        producer,
      })
    case 'file':
      return createFileCursorStore(config.cursorFile, sourceId, config.relayHost)
    case 'none':
      return undefined
  }
}

export async function createApp(command: FirehoseCommand, config: Config, deps: AppDeps): Promise<App> {
  const { logger } = deps
  const registry = deps.registry ?? new Registry()
  const metrics = createMetrics(registry)
  let source: Source | undefined
  let producerReady = false
  let cursorStore: string | undefined
  let savedCursor: number | undefined
  const startedAtMs = Date.now()
  const info = (): StatusInfo => ({
    command,
    // the URL as configured (the relay's /xrpc/… and Tap's /channel path are appended to it)
    upstreamUrl: command === 'relay' ? config.relayHost : config.tapHost,
    bootstrapServers: config.bootstrapServers,
    topic: config.outputTopic,
    producerReady,
    startedAtMs,
    ...(command === 'relay' ? { cursorStore, savedCursor } : { acksDisabled: config.disableAcks }),
  })
  const status = startStatusService({
    metrics,
    info,
    recentLog: deps.recentLog,
    logger: logger.child({ component: 'progress' }),
    progressIntervalMs: config.progressIntervalMs,
  })
  const server = await startMetricsServer(
    config.metricsAddress,
    registry,
    { ready: () => producerReady && (source?.connected ?? false), status: () => status.report() },
    logger.child({ component: 'http' }),
  ).catch((err: unknown) => {
    status.stop()
    throw err
  })

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
          ...(command === 'relay' && config.cursorStore === 'kafka'
            ? [
                {
                  name: config.cursorTopic,
                  partitions: 1,
                  replicationFactor: config.topicReplicationFactor,
                  configs: [['cleanup.policy', 'compact'] as const],
                },
              ]
            : []),
        ],
        logger.child({ component: 'topics' }),
      )
      // standby: wait for the writer role; the run stops when it is lost
      const lease =
        command === 'relay' && config.standby
          ? await waitForWriterRole(config, metrics, logger, signal)
          : undefined
      if (lease === null) return
      const pipelineSignal = lease ? AbortSignal.any([signal, lease.lost]) : signal
      // a writer that lost its role must be gone within the shutdown deadline, drained or not
      lease?.lost.addEventListener('abort', () => {
        setTimeout(() => {
          log.error(
            { deadlineMs: config.shutdownTimeoutMs },
            'lost the writer role and not stopped in time; exiting',
          )
          process.exit(1)
        }, config.shutdownTimeoutMs).unref()
      })
      const exactlyOnce = command === 'relay' && config.exactlyOnce
      const producer = createProducer(
        config,
        registry,
        exactlyOnce ? { transactionalId: transactionalId(config) } : {},
      )
      await producer.metadata({ topics: [config.outputTopic, deadLetterTopic(config)] })
      producerReady = true
      log.info({ bootstrap: config.bootstrapServers, topic: config.outputTopic }, 'producer ready')
      const sinkOptions = {
        batchSize: config.batchSize,
        lingerMs: config.lingerMs,
        maxMessageBytes: config.maxMessageBytes,
        deadLetterTopic: deadLetterTopic(config),
      }
      const sinkDeps = { metrics, logger: logger.child({ component: 'sink' }) }
      let transactional: TransactionalSink | undefined
      let sink: KafkaSink
      if (exactlyOnce) {
        transactional = createTransactionalSink(
          producer,
          {
            ...sinkOptions,
            intervalMs: config.transactionIntervalMs,
            maxEvents: config.transactionMaxEvents,
          },
          sinkDeps,
        )
        // fences an older instance and aborts its open transaction before the cursor is read
        await transactional.begin()
        log.info({ transactionalId: transactionalId(config) }, 'transactional producer registered')
        sink = transactional
      } else sink = createKafkaSink(producer, sinkOptions, sinkDeps)
      const snowflake =
        config.ospreyActionId === 'event'
          ? createEventActionIds()
          : createSnowflake({ workerId: config.ospreyWorkerId })
      const format = config.ospreyCompatible ? 'osprey' : 'standard'
      const topic = config.outputTopic
      const encode = (event: AtprotoEvent, metadata?: RawJson): OutboundRecord => {
        const { key, value } = encodeEvent(event, { format, snowflake, metadata })
        return { topic, key, value }
      }
      const stopOnError = new AbortController()
      const identity = createIdentityStageFromConfig(config, {
        metrics,
        onError: (err) => {
          log.error({ err }, 'identity stage failed')
          stopOnError.abort(err)
        },
      })
      if (identity) {
        log.info(
          {
            eventMetadata: config.eventMetadata,
            plcHost: config.plcHost,
            apiHost: config.apiHost || null,
            matchedServices: config.matchedServices,
            ignoredServices: config.ignoredServices,
          },
          'identity lookups on',
        )
      }
      const running = await createSource(command, config, {
        metrics,
        logger,
        producer,
        transactional,
        onCursorSaved: (seq) => {
          savedCursor = seq
        },
      })
      source = running.source
      cursorStore = running.cursorStore
      const window = createInFlightWindow(config.maxInFlight, (n) => metrics.inFlight(n))
      try {
        await runPipeline(
          source,
          {
            filter: createCollectionFilter({
              matched: config.matchedCollections,
              ignored: config.ignoredCollections,
            }),
            identity,
            encode,
            sink,
            window,
            metrics,
            logger: log,
          },
          AbortSignal.any([pipelineSignal, stopOnError.signal]),
        )
        if (stopOnError.signal.aborted) throw stopOnError.signal.reason
        log.info('stopped reading; everything in flight reached Kafka')
        if (lease?.lost.aborted)
          throw new SinkError('lost the writer role to another instance', { cause: lease.lost.reason })
      } finally {
        // the safe cursor never passes an event Kafka does not hold, so it is saved on failure too
        await running
          .finish?.()
          .catch((err: unknown) => log.error({ err }, 'saving the cursor on stop failed'))
        producerReady = false
        await identity?.close()
        await sink.close()
        await producer.close(true)
        log.info('producer closed')
        await lease?.close()
      }
    } finally {
      status.stop()
      await server.close()
    }
  }

  return { metrics, metricsPort: server.port, run }
}
