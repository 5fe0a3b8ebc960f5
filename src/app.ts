// Composition root: config → ops server (metrics, health, status page), topics, producer,
// source, cursor, sink, pipeline. run() resolves on a clean stop (the signal aborted and
// everything in flight reached Kafka) and rejects on a failure that must end the process.
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { createMetrics, type Metrics } from './app-metrics.ts'
import type { Config, SharedConfig } from './config/schema.ts'
import { type CursorWiring, wireCursor } from './cursor/wire-cursor.ts'
import { createEventActionIds } from './encode/event-action-id.ts'
import { createSnowflake } from './encode/snowflake.ts'
import { createIdentityStageFromConfig } from './enrich/create-identity-stage.ts'
import { SinkError } from './errors.ts'
import type { AtprotoEvent } from './events/atproto-event.ts'
import { createCollectionFilter } from './filters/collection-filter.ts'
import { type AtkafkaProducer, createProducer } from './kafka/create-producer.ts'
import { type DeliveryMode, deliveryMode } from './kafka/delivery-mode.ts'
import { ensureTopics, type TopicSpec } from './kafka/ensure-topics.ts'
import type { RecentLog } from './logging/recent-log.ts'
import { startOpsServer } from './metrics/http-server.ts'
import { createInFlightWindow } from './pipeline/in-flight-window.ts'
import { runPipeline } from './pipeline/run-pipeline.ts'
import type { Sink, Source } from './pipeline/types.ts'
import { createKafkaSink } from './sink/kafka/kafka-sink.ts'
import { createTransactionalSink } from './sink/kafka/transactional-sink.ts'
import { createRoutedOutput, type RoutedOutput } from './sink/routed-output.ts'
import { type CatalogEntry, SOURCES, type SourceCommand, type SourceConfigOf } from './sources/catalog.ts'
import type { Trait } from './sources/source-plugin.ts'
import { writerSink } from './standby/fencing.ts'
import { joiningRole } from './standby/role.ts'
import { startWriterLease, type WriterLease, writerGroup } from './standby/writer-lease.ts'
import { statusPageHtml } from './status/status-page.ts'
import type { StatusInfo } from './status/status-report.ts'
import { startStatusService, statusRoutes } from './status/status-service.ts'

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

/** what exists while the pipeline runs: the status page and /readyz read it */
interface Running {
  readonly source: Source<unknown>
  readonly cursor: CursorWiring<unknown> | undefined
}

export async function createApp<K extends SourceCommand>(
  command: K,
  sourceConfig: SourceConfigOf<K>,
  deps: AppDeps,
): Promise<App> {
  const { logger } = deps
  const registry = deps.registry ?? new Registry()
  const metrics = createMetrics(registry)
  const entry: CatalogEntry = SOURCES[command]
  // the shared options the source's audience takes (the others are undefined), as one type
  const config = sourceConfig as unknown as Config
  // decided once: the producer, the cursor wiring and the sink follow it
  const mode = deliveryMode(config, entry.cursor !== undefined)
  const startedAtMs = Date.now()
  let running: Running | undefined
  // --standby: the writer lease once the group is joined
  let lease: WriterLease | undefined
  const standby = config.standby && withTrait(entry, 'standby', config) && withTrait(entry, 'cursor', config)
  if (standby) metrics.writer(() => lease?.role().state === 'writer')
  const info = (): StatusInfo => ({
    command,
    upstreamUrl: entry.upstreamUrl(config),
    bootstrapServers: config.bootstrapServers,
    topic: config.outputTopic,
    producerReady: running !== undefined,
    startedAtMs,
    source: (snapshot) =>
      entry.status({
        config,
        source: running?.source,
        snapshot,
        cursor: {
          location: running?.cursor?.location ?? 'none',
          saved: running?.cursor?.saved(),
          savedPosition: running?.cursor?.savedPosition(),
          transactional: mode.kind === 'exactly-once',
        },
      }),
    ...(standby
      ? { role: { ...(lease?.role() ?? joiningRole(startedAtMs)), group: writerGroup(config.sourceId) } }
      : {}),
  })
  const status = startStatusService({
    metrics,
    info,
    recentLog: deps.recentLog,
    logger: logger.child({ component: 'progress' }),
    progressIntervalMs: config.progressIntervalMs,
  })
  const server = await startOpsServer(
    config.metricsAddress,
    {
      registry,
      // --standby: a standby in the group with the broker answering is ready too (standby/role.ts)
      ready: () => {
        const connected = running?.source.connected ?? false
        return standby ? (lease?.ready(connected) ?? false) : connected
      },
      routes: statusRoutes(() => status.report(), statusPageHtml(command, entry.statusPage)),
    },
    logger.child({ component: 'http' }),
  ).catch((err: unknown) => {
    status.stop()
    throw err
  })

  const run = async (signal: AbortSignal) => {
    try {
      const output = createRoutedOutput(config, {
        snowflake:
          config.ospreyActionId === 'event'
            ? createEventActionIds()
            : createSnowflake({ workerId: config.ospreyWorkerId }),
        metrics,
        logger: logger.child({ component: 'topics' }),
      })
      const existing = await ensureTopics(
        config,
        topicsFor(config, entry, output),
        logger.child({ component: 'topics' }),
      )
      // standby: wait for the writer role
      if (config.standby && withTrait(entry, 'standby', config) && withTrait(entry, 'cursor', config)) {
        lease = await joinStandbyGroup(config, logger)
        if (!(await lease.acquired(signal))) {
          await lease.close()
          return
        }
      }
      const streaming = stream(
        config,
        entry,
        { metrics, registry, logger, lease, output, existing, mode },
        signal,
        (r) => {
          running = r
        },
      )
      // a writer that lost its role stops at once: nothing it still holds may reach Kafka
      // (exactly-once: Kafka fences it anyway), and its cursor is the new writer's business
      await (lease ? Promise.race([streaming, rejectOnAbort(lease.lost)]) : streaming)
    } finally {
      status.stop()
      await server.close()
    }
  }

  return { metrics, metricsPort: server.port, run }
}

/** One run of the pipeline, from the producer's start to its close. */
async function stream(
  config: Config,
  entry: CatalogEntry,
  deps: {
    metrics: Metrics
    registry: Registry
    logger: Logger
    lease: WriterLease | undefined
    mode: DeliveryMode
    /** format, headers and topic of each record (sink/routed-output.ts) */
    output: RoutedOutput
    /** the broker's topics after ensureTopics */
    existing: readonly string[]
  },
  signal: AbortSignal,
  setRunning: (running: Running | undefined) => void,
): Promise<void> {
  const { metrics, logger, lease, output } = deps
  const log = logger.child({ component: 'pipeline' })
  const pipelineSignal = lease ? AbortSignal.any([signal, lease.lost]) : signal
  const { mode } = deps
  const producer = createProducer(config, deps.registry, mode)
  await producer.metadata({ topics: [...output.topics, config.deadLetterTopic] })
  log.info({ bootstrap: config.bootstrapServers, topic: config.outputTopic }, 'producer ready')
  const source = await entry.open(config, { metrics, logger })
  const cursor =
    entry.cursor && withTrait(entry, 'cursor', config)
      ? wireCursor(config, mode, entry.cursor.codec, {
          producer,
          checkpoint: () => source.checkpoint?.(),
          onCommitted: (position) => source.committed?.(position),
          upstream: entry.upstreamUrl(config),
          metrics,
          logger: logger.child({ component: 'cursor' }),
        })
      : undefined
  // routed {collection} topics are created on first use, like the output topic
  const kafkaSink = createSink(
    config,
    mode,
    producer,
    { metrics, logger: logger.child({ component: 'sink' }) },
    cursor,
  )
  const sink = output.wrap(
    lease
      ? writerSink(kafkaSink, {
          holds: () => lease.role().state === 'writer',
          onFenced: (apiId) =>
            lease.fence(`Kafka fenced this instance's producer (${apiId}): a newer writer registered`),
        })
      : kafkaSink,
    deps.existing,
    async (name) => {
      await ensureTopics(config, [likeOutputTopic(config, name)], logger.child({ component: 'topics' }))
    },
  )
  if (sink.ready) {
    // fences an older instance and aborts its open transaction before the cursor is read
    await sink.ready()
    log.info({ transactionalId: config.transactionalId }, 'transactional producer registered')
  }
  const start = cursor ? await cursor.start(entry.cursor?.override?.(config)) : undefined
  const stopOnError = new AbortController()
  // the network's accounts are looked up and filtered by service; other sources' events are not
  const identity = !withTrait(entry, 'firehose', config)
    ? undefined
    : createIdentityStageFromConfig(config, {
        metrics,
        onError: (err) => {
          log.error({ err }, 'identity stage failed')
          stopOnError.abort(err)
        },
      })
  if (identity) {
    const { eventMetadata, plcHost, apiHost, matchedServices, ignoredServices } = config
    log.info(
      { eventMetadata, plcHost, apiHost: apiHost || null, matchedServices, ignoredServices },
      'identity lookups on',
    )
  }
  setRunning({ source, cursor })
  try {
    await runPipeline(
      source,
      {
        filter: formatFilter(
          output.keeps,
          createCollectionFilter({ matched: config.matchedCollections, ignored: config.ignoredCollections }),
        ),
        identity,
        encode: output.encode,
        sink,
        window: createInFlightWindow(
          { events: config.maxInFlight, bytes: config.maxInFlightBytes },
          (events, bytes) => {
            metrics.inFlight(events)
            metrics.inFlightBytes(bytes)
          },
        ),
        metrics,
        logger: log,
      },
      AbortSignal.any([pipelineSignal, stopOnError.signal]),
      start,
    )
    if (stopOnError.signal.aborted) throw stopOnError.signal.reason
    log.info('stopped reading; everything in flight reached Kafka')
    if (lease?.lost.aborted)
      throw new SinkError('lost the writer role to another instance', { cause: lease.lost.reason })
  } finally {
    // the checkpoint never passes an event Kafka does not hold, so it is saved on failure too
    await cursor?.finish().catch((err: unknown) => log.error({ err }, 'saving the cursor on stop failed'))
    setRunning(undefined)
    await identity?.close()
    await sink.close()
    await producer.close(true)
    log.info('producer closed')
    await lease?.close()
  }
}

/** a topic created like the output topic (the output topic itself, routed topics) */
function likeOutputTopic(config: Config, name: string): TopicSpec {
  return {
    name,
    partitions: config.topicPartitions,
    replicationFactor: config.topicReplicationFactor,
    configs: config.topicConfig,
  }
}

/**
 * the output topic and the routed ones, the dead letters, and the cursor topic when a
 * resumable source keeps its cursor in Kafka
 */
function topicsFor(config: Config, entry: CatalogEntry, output: RoutedOutput): TopicSpec[] {
  const { topicReplicationFactor: replicationFactor } = config
  return [
    ...output.topics.map((name) => likeOutputTopic(config, name)),
    { name: config.deadLetterTopic, partitions: 1, replicationFactor, configs: [] },
    ...(withTrait(entry, 'cursor', config) && config.cursorStore === 'kafka'
      ? [
          {
            name: config.cursorTopic,
            partitions: 1,
            replicationFactor,
            configs: [['cleanup.policy', 'compact'] as const],
          },
        ]
      : []),
  ]
}

/** the sink of the delivery mode: exactly-once commits the cursor in its transactions */
function createSink(
  config: Config,
  mode: DeliveryMode,
  producer: AtkafkaProducer,
  deps: { metrics: Metrics; logger: Logger },
  cursor: CursorWiring<unknown> | undefined,
): Sink {
  const options = {
    batchSize: config.batchSize,
    lingerMs: config.lingerMs,
    maxMessageBytes: config.maxMessageBytes,
    deadLetterTopic: config.deadLetterTopic,
    maxRequestBytes: config.maxRequestBytes,
    maxBatchBytes: config.maxBatchBytes,
  }
  if (mode.kind === 'at-least-once') return createKafkaSink(producer, options, deps)
  if (!cursor?.transactional) throw new SinkError('exactly-once needs a source that resumes from a cursor')
  return createTransactionalSink(
    producer,
    { ...options, intervalMs: mode.intervalMs, maxEvents: mode.maxEvents },
    { ...deps, cursor: cursor.transactional },
  )
}

/** the format's kinds (Jetstream has no sync or info), then the collection filter */
function formatFilter(
  keeps: (event: AtprotoEvent) => boolean,
  byCollection: (event: AtprotoEvent) => boolean,
): (event: AtprotoEvent) => boolean {
  return (event) => keeps(event) && byCollection(event)
}

/** standby: joins the writer group (the lease's role says whether this instance writes) */
async function joinStandbyGroup(
  config: Config & SharedConfig<'cursor' | 'standby'>,
  logger: Logger,
): Promise<WriterLease> {
  return startWriterLease(
    {
      kafka: config,
      topic: config.cursorTopic,
      sourceId: config.sourceId,
      sessionTimeoutMs: config.standbySessionTimeoutMs,
    },
    { logger: logger.child({ component: 'standby' }) },
  )
}

/** rejects with the signal's reason when it aborts */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}

/** the running source has the trait, so its config has the options of that audience */
function withTrait<T extends Trait>(
  entry: CatalogEntry,
  trait: T,
  _config: Config,
): _config is Config & SharedConfig<T> {
  return entry.traits.includes(trait)
}
