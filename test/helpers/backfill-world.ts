// The backfill tests' world: accounts with records across collections on a real local PDS,
// what each account holds (uri → cid), the work topic and its outcome topics, and in-process
// workers built from the same parts the command uses.
import { randomUUID } from 'node:crypto'
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka'
import pino from 'pino'
import * as promClient from 'prom-client'
import type { ItemOutcome } from '../../src/backfill/backfill-worker.ts'
import { runWorker, type WorkerOptions, type WorkerStats } from '../../src/backfill/backfill-worker.ts'
import { createHostLimits } from '../../src/backfill/host-limits.ts'
import { encodeWorkItem, type WorkItem } from '../../src/backfill/work-item.ts'
import { type WorkConsumer, workDeserializers } from '../../src/backfill/work-lane.ts'
import { toStandardJson } from '../../src/encode/standard-event.ts'
import { type AtkafkaProducer, createProducer, type ProducerConfig } from '../../src/kafka/create-producer.ts'
import { brokerEnv, createTopic, uniqueTopic } from './kafka.ts'
import type { PdsClient, Session } from './pds-client.ts'

const COLLECTIONS = ['app.bsky.feed.post', 'app.bsky.feed.like', 'app.bsky.graph.follow', 'com.example.thing']

/** creates `accounts` accounts with `perAccount` records each (round-robin over COLLECTIONS); uri → cid */
export async function populate(
  client: PdsClient,
  accounts: number,
  perAccount: (i: number) => number,
): Promise<{ sessions: Session[]; records: Map<string, string> }> {
  const suffix = randomUUID().slice(0, 5)
  const sessions: Session[] = []
  const records = new Map<string, string>()
  for (let i = 0; i < accounts; i++) {
    const s = await client.createAccount(`bf${suffix}${i}.test`)
    sessions.push(s)
    const n = perAccount(i)
    for (let done = 0; done < n; ) {
      const writes = []
      for (let j = 0; j < Math.min(100, n - done); j++) {
        const k = done + j
        const collection = COLLECTIONS[k % COLLECTIONS.length]!
        writes.push({ action: 'create' as const, collection, value: recordFor(collection, s.did, k) })
      }
      const res = await client.applyWrites(s, writes)
      for (const r of res.results) if (r.rkey !== undefined) records.set(r.uri, r.cid)
      done += writes.length
    }
  }
  return { sessions, records }
}

function recordFor(collection: string, did: string, k: number) {
  const createdAt = new Date(Date.UTC(2024, 0, 1, 0, 0, k)).toISOString()
  switch (collection) {
    case 'app.bsky.feed.post':
      return { text: `post ${k} of ${did}`, createdAt }
    case 'app.bsky.feed.like':
      return {
        subject: {
          uri: `at://${did}/app.bsky.feed.post/3aaaaaaaaaa${String(k % 100).padStart(2, '2')}`,
          cid: 'bafyreia3zwwmogntyn7zhsr6kyzvelma2l77axbldfja6jwcqbjq5e5tj4',
        },
        createdAt,
      }
    case 'app.bsky.graph.follow':
      return { subject: did, createdAt }
    default:
      return { n: k, createdAt }
  }
}

export interface Topics {
  work: string
  out: string
  done: string
  failed: string
}

export async function createTopics(partitions: number): Promise<Topics> {
  const work = uniqueTopic('bf-work')
  const t = { work, out: uniqueTopic('bf-out'), done: `${work}.done`, failed: `${work}.failed` }
  await createTopic(t.work, partitions)
  await createTopic(t.out, 3)
  // partitioned as the work topic: a lane reads its own partition of it
  await createTopic(t.done, partitions)
  await createTopic(t.failed, 1)
  return t
}

export async function planItems(topic: string, items: WorkItem[]): Promise<void> {
  const producer = makeProducer()
  try {
    await producer.send({ messages: items.map((i) => ({ topic, key: i.did, value: encodeWorkItem(i) })) })
  } finally {
    await producer.close()
  }
}

export function makeProducer(transactionalId?: string): AtkafkaProducer {
  const config = {
    bootstrapServers: [brokerEnv().bootstrap],
    clientId: 'backfill-test',
    tls: false,
    compression: 'lz4',
    produceRetries: 5,
  } as unknown as ProducerConfig
  return createProducer(
    config,
    new promClient.Registry(),
    transactionalId ? { kind: 'exactly-once', transactionalId, intervalMs: 0, maxEvents: 0 } : undefined,
  )
}

export function makeConsumer(groupId: string): WorkConsumer {
  return new Consumer({
    groupId,
    clientId: 'backfill-test',
    bootstrapBrokers: [brokerEnv().bootstrap],
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 200,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    deserializers: workDeserializers,
  }) as unknown as WorkConsumer
}

/** the plain consumer a worker's lanes read `<work>.done` with */
export function makeReader(): Consumer {
  return new Consumer({
    groupId: `backfill-test-reader-${randomUUID()}`,
    clientId: 'backfill-test',
    bootstrapBrokers: [brokerEnv().bootstrap],
    maxWaitTime: 100,
  })
}

class CountingStats implements WorkerStats {
  readonly outcomes = new Map<ItemOutcome, number>()
  readonly retries = new Map<string, number>()
  produced = 0
  aborts = 0
  item(outcome: ItemOutcome) {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1)
  }
  retry(reason: string) {
    this.retries.set(reason, (this.retries.get(reason) ?? 0) + 1)
  }
  records(n: number) {
    this.produced += n
  }
  aborted() {
    this.aborts++
  }
  get ended(): number {
    let n = 0
    for (const v of this.outcomes.values()) n += v
    return n
  }
  /** items this worker committed as done or failed: a `skipped` (an item another worker, or an
   * earlier attempt, already ended) is not one more item ended */
  get settled(): number {
    return this.ended - (this.outcomes.get('skipped') ?? 0)
  }
}

function workerOptions(t: Topics, over: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    workTopic: t.work,
    doneTopic: t.done,
    failedTopic: t.failed,
    transactionalPrefix: `bf-${t.work}`,
    fetch: {
      maxCarBytes: 64 << 20,
      maxBlocks: 1_000_000,
      memoryBytes: 8 << 20,
      timeoutMs: 30_000,
      idleTimeoutMs: 10_000,
      maxRetryAfterMs: 5_000,
    },
    maxAttempts: 4,
    retryMinMs: 50,
    retryMaxMs: 500,
    maxQueued: 64,
    batchRecords: 500,
    batchBytes: 1 << 20,
    ...over,
  }
}

/** a worker in this process; stop() ends it the way SIGTERM would */
export function startWorker(
  t: Topics,
  groupId: string,
  over: Partial<WorkerOptions> = {},
  hostConcurrency = 4,
) {
  const stats = new CountingStats()
  const consumer = makeConsumer(groupId)
  const reader = makeReader()
  const controller = new AbortController()
  const run = runWorker(
    workerOptions(t, over),
    {
      consumer,
      reader,
      makeProducer,
      encode: (e) => ({ topic: t.out, key: e.did, value: Buffer.from(toStandardJson(e)) }),
      hosts: createHostLimits({ concurrency: hostConcurrency, ratePerSec: 0 }),
      stats,
      logger: pino({ level: process.env.ATKAFKA_TEST_LOGS ? 'info' : 'silent' }),
    },
    controller.signal,
  )
  return {
    stats,
    run,
    async stop() {
      controller.abort()
      await run
      await consumer.close(true)
      await reader.close(true)
    },
  }
}
