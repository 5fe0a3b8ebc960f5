// `atkafka backfill plan|work|status`: the composition of the backfill parts for each command —
// topics, clients, the ops server for workers — around planner.ts, backfill-worker.ts and
// backfill-status.ts.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka'
import type { Logger } from 'pino'
import * as promClient from 'prom-client'
import { createKafkaCursorStore } from '../cursor/kafka-cursor-store.ts'
import { createEventActionIds } from '../encode/event-action-id.ts'
import { createSnowflake } from '../encode/snowflake.ts'
import { ConfigError } from '../errors.ts'
import { isDid } from '../events/atproto-syntax.ts'
import { createCollectionFilter } from '../filters/collection-filter.ts'
import { createProducer } from '../kafka/create-producer.ts'
import type { DeliveryMode } from '../kafka/delivery-mode.ts'
import { ensureTopics } from '../kafka/ensure-topics.ts'
import { connectionOptions } from '../kafka/kafka-client-options.ts'
import { startOpsServer } from '../metrics/http-server.ts'
import { pipelineMetrics } from '../pipeline/pipeline-metrics.ts'
import { createRoutedOutput } from '../sink/routed-output.ts'
import { sinkMetrics } from '../sink/sink-metrics.ts'
import { createCurrentSeq } from '../sources/relay/current-seq.ts'
import { backfillPageHtml } from '../status/backfill-page.ts'
import { statusRoutes } from '../status/status-service.ts'
import { createBackfillMetrics } from './backfill-metrics.ts'
import type { BackfillPlanConfig, BackfillStatusConfig, BackfillWorkConfig } from './backfill-options.ts'
import { formatStatus, readBackfillStatus, readWorkProgress } from './backfill-status.ts'
import { runWorker } from './backfill-worker.ts'
import { addFleetSample, type FleetSample, fleetProgress } from './fleet-progress.ts'
import { createHostLimits } from './host-limits.ts'
import { createListPage, createResolvePds } from './listing.ts'
import { type PlanState, planStateCodec } from './plan-state.ts'
import { type PlanSource, runPlan } from './planner.ts'
import { type WorkConsumer, workDeserializers } from './work-lane.ts'

export interface BackfillDeps {
  readonly logger: Logger
  readonly signal: AbortSignal
  readonly out: NodeJS.WritableStream
}

const doneTopic = (work: string) => `${work}.done`
const failedTopic = (work: string) => `${work}.failed`
const planTopic = (work: string) => `${work}.plan`

export async function runBackfillPlan(config: BackfillPlanConfig, deps: BackfillDeps): Promise<void> {
  const { logger, signal } = deps
  const source = planSourceOf(config)
  const planId = config.backfillPlanId || `plan:${describeSource(source)}`
  const work = config.backfillWorkTopic
  const partitions = config.backfillPartitions
  const liveHost = liveHostOf(config, source)
  await ensureTopics(
    config,
    [
      { name: work, partitions, replicationFactor: -1, configs: [] },
      // partitioned like the work topic: a worker's lane reads its own partition of it
      { name: doneTopic(work), partitions, replicationFactor: -1, configs: [['cleanup.policy', 'compact']] },
      { name: failedTopic(work), partitions, replicationFactor: -1, configs: [] },
      {
        name: planTopic(work),
        partitions: 1,
        replicationFactor: -1,
        configs: [['cleanup.policy', 'compact']],
      },
    ],
    logger,
  )
  const producer = createProducer(
    { ...config, compression: 'lz4', produceRetries: 10 },
    new promClient.Registry(),
  )
  try {
    const state = createKafkaCursorStore<PlanState>(
      { kafka: config, topic: planTopic(work), producer },
      { sourceId: planId, upstream: describeSource(source) },
      planStateCodec,
    )
    const result = await runPlan(
      source,
      { workTopic: work, pageSize: 500, resolveConcurrency: 8 },
      {
        producer,
        state,
        listPage: createListPage(),
        resolvePds: createResolvePds(config.plcHost),
        ...(liveHost === undefined ? {} : { currentSeq: createCurrentSeq(liveHost) }),
        logger,
      },
      signal,
    )
    deps.out.write(`${JSON.stringify({ planId, ran: result.ran, ...result.state })}\n`)
  } finally {
    await producer.close()
  }
}

function planSourceOf(config: BackfillPlanConfig): PlanSource {
  if (config.backfillPdsHosts.length > 0) {
    return { kind: 'hosts', hosts: config.backfillPdsHosts.map((h) => new URL(h).origin) }
  }
  if (config.backfillRelayHost !== '') {
    return {
      kind: 'relay',
      relay: new URL(config.backfillRelayHost).origin,
      collections: config.backfillCollections,
    }
  }
  if (config.backfillDids.length > 0) return { kind: 'dids', dids: config.backfillDids }
  let text: string
  try {
    text = readFileSync(config.backfillDidsFile, 'utf8')
  } catch (err) {
    throw new ConfigError([
      `--backfill-dids-file (ATKAFKA_BACKFILL_DIDS_FILE): cannot read ${config.backfillDidsFile}: ${(err as Error).message}`,
    ])
  }
  const dids: string[] = []
  const bad: string[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const ok: boolean = isDid(line)
    if (ok) dids.push(line)
    else if (bad.length < 5) bad.push(`line ${i + 1}: ${JSON.stringify(line.slice(0, 80))} is not a DID`)
  }
  if (bad.length > 0)
    throw new ConfigError(bad.map((b) => `--backfill-dids-file (ATKAFKA_BACKFILL_DIDS_FILE): ${b}`))
  return { kind: 'dids', dids }
}

/** the upstream whose seq is noted before listing (where live starts after the backfill) */
function liveHostOf(config: BackfillPlanConfig, source: PlanSource): string | undefined {
  if (config.backfillLiveHost !== '') return config.backfillLiveHost
  // a PDS may serve no stream, or send nothing for minutes: its seq is noted only when asked for
  return source.kind === 'relay' ? source.relay : undefined
}

function describeSource(source: PlanSource): string {
  switch (source.kind) {
    case 'hosts':
      return `hosts:${source.hosts.join(',')}`
    case 'relay':
      return `relay:${source.relay}${source.collections.length ? `:${source.collections.join(',')}` : ''}`
    case 'dids':
      return `dids:${createHash('sha256').update(source.dids.join('\n')).digest('hex').slice(0, 16)}`
  }
}

export async function runBackfillWork(config: BackfillWorkConfig, deps: BackfillDeps): Promise<void> {
  const { logger, signal } = deps
  if ((config.topicRoutes?.templates.length ?? 0) > 0) {
    throw new ConfigError([
      '--topic-routes (ATKAFKA_TOPIC_ROUTES): backfill work does not create {collection} topics yet; name the topics',
    ])
  }
  const registry = new promClient.Registry()
  const metrics = createBackfillMetrics(registry)
  const hosts = createHostLimits({
    concurrency: config.backfillHostConcurrency,
    ratePerSec: config.backfillHostRate,
  })
  metrics.watchHosts(hosts)
  const output = createRoutedOutput(
    {
      ...config,
      deadLetterTopic: `${config.outputTopic}.dlq`,
      topicRoutesMaxTopics: 1,
      cursorTopic: planTopic(config.backfillWorkTopic),
    },
    {
      snowflake:
        config.ospreyActionId === 'event'
          ? createEventActionIds()
          : createSnowflake({ workerId: config.ospreyWorkerId }),
      metrics: { ...sinkMetrics(registry), eventDropped: pipelineMetrics(registry).eventDropped },
      logger,
    },
  )
  const keep = createCollectionFilter({
    matched: config.matchedCollections,
    ignored: config.ignoredCollections,
  })
  await ensureTopics(
    config,
    output.topics.map((name) => ({
      name,
      partitions: config.topicPartitions,
      replicationFactor: config.topicReplicationFactor,
      configs: config.topicConfig,
    })),
    logger,
  )
  const consumer = new Consumer({
    ...connectionOptions(config),
    groupId: config.backfillGroup,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 500,
    sessionTimeout: config.backfillSessionTimeoutMs,
    heartbeatInterval: Math.min(3000, Math.floor(config.backfillSessionTimeoutMs / 3)),
    deserializers: workDeserializers,
  }) as unknown as WorkConsumer
  const reader = new Consumer({
    ...connectionOptions(config),
    groupId: `${config.backfillGroup}-done-reader`,
    maxWaitTime: 100,
  })
  let consuming = false
  // the fleet's progress, from the work topic's offsets and the group's, every 5 s
  let fleet: FleetSample[] = []
  const sampleFleet = async () => {
    const { items, consumed } = await readWorkProgress(reader, consumer, config.backfillWorkTopic)
    fleet = addFleetSample(fleet, { atMs: Date.now(), items, consumed })
  }
  const sampling = setInterval(
    () =>
      void sampleFleet().catch((err: unknown) =>
        logger.debug({ err }, 'backfill: the fleet progress could not be read this time'),
      ),
    5000,
  )
  sampling.unref()
  const report = () => ({
    command: 'backfill work',
    workTopic: config.backfillWorkTopic,
    generatedAt: new Date().toISOString(),
    fleet: fleetProgress(fleet),
    ...metrics.report(),
  })
  const ops = await startOpsServer(
    config.metricsAddress,
    {
      registry,
      ready: () => consuming,
      routes: statusRoutes(report, backfillPageHtml()),
    },
    logger,
  )
  const progress = setInterval(() => logger.info(metrics.report().totals, 'backfill progress'), 10_000)
  progress.unref()
  try {
    consuming = true
    await runWorker(
      {
        workTopic: config.backfillWorkTopic,
        doneTopic: doneTopic(config.backfillWorkTopic),
        failedTopic: failedTopic(config.backfillWorkTopic),
        transactionalPrefix: `atkafka-backfill:${config.backfillGroup}`,
        fetch: {
          maxCarBytes: config.backfillMaxRepoBytes,
          maxBlocks: 4_000_000,
          memoryBytes: config.backfillRepoMemoryBytes,
          timeoutMs: config.backfillRepoTimeoutMs,
          idleTimeoutMs: 60_000,
          maxRetryAfterMs: 15 * 60_000,
        },
        maxAttempts: config.backfillMaxAttempts,
        retryMinMs: 1000,
        retryMaxMs: 60_000,
        maxQueued: config.backfillMaxQueued,
        batchRecords: 2000,
        batchBytes: 1 << 20,
      },
      {
        consumer,
        reader,
        makeProducer: (transactionalId) =>
          createProducer(config, new promClient.Registry(), transactional(transactionalId)),
        encode: (event) => (keep(event) && output.keeps(event) ? output.encode(event) : undefined),
        hosts,
        stats: metrics,
        logger,
      },
      signal,
    )
  } finally {
    consuming = false
    clearInterval(progress)
    clearInterval(sampling)
    await consumer.close(true).catch(() => {}) // leaving the group: the others take the partitions
    await reader.close(true).catch(() => {}) // nothing in flight on it
    await ops.close()
  }
}

/** a lane's producer: transactional, committed per repo by the worker (the interval and size bounds of the live modes' transactions do not apply) */
function transactional(transactionalId: string): DeliveryMode {
  return { kind: 'exactly-once', transactionalId, intervalMs: 0, maxEvents: 0 }
}

export async function runBackfillStatus(config: BackfillStatusConfig, deps: BackfillDeps): Promise<void> {
  const status = await readBackfillStatus(config, config.backfillWorkTopic, config.backfillGroup)
  deps.out.write(formatStatus(status))
}
