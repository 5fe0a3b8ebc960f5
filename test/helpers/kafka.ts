// Helpers for integration tests against the real broker started by test/global-setup.ts.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Admin, Consumer, FetchIsolationLevels, type Message } from '@platformatic/kafka'

export interface BrokerEnv {
  bootstrap: string
  saslBootstrap: string
  sslBootstrap: string
  sslCa: string
  saslUsername: string
  saslPassword: string
}

export function brokerEnv(): BrokerEnv {
  const e = process.env
  if (!e.KAFKA_BOOTSTRAP) {
    throw new Error('KAFKA_BOOTSTRAP is not set: run the tests with `npm test` (it starts a real broker)')
  }
  return {
    bootstrap: e.KAFKA_BOOTSTRAP,
    saslBootstrap: e.KAFKA_SASL_BOOTSTRAP ?? '',
    sslBootstrap: e.KAFKA_SSL_BOOTSTRAP ?? '',
    sslCa: e.KAFKA_SSL_CA ? readFileSync(e.KAFKA_SSL_CA, 'utf8') : '',
    saslUsername: e.KAFKA_SASL_USERNAME ?? '',
    saslPassword: e.KAFKA_SASL_PASSWORD ?? '',
  }
}

/** A fresh topic name; each test gets its own. */
export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export async function createTopic(name: string, partitions = 1, configs: Record<string, string> = {}) {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [brokerEnv().bootstrap] })
  try {
    await admin.createTopics({
      topics: [name],
      partitions,
      replicas: 1,
      configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
    })
  } finally {
    await admin.close()
  }
}

export interface ReadOptions {
  /** stop once this many messages were read */
  count: number
  /** give up after this long (ms) and return what was read */
  timeoutMs?: number
  /** also stop when no message arrived for this long (ms) */
  idleMs?: number
  isolation?: 'READ_COMMITTED' | 'READ_UNCOMMITTED'
}

/** Read a topic from the beginning until `count` messages arrive or the timeout passes. */
export async function readTopic(
  topic: string,
  opts: ReadOptions,
): Promise<Message<Buffer, Buffer, Buffer, Buffer>[]> {
  const consumer = new Consumer({
    groupId: `test-reader-${randomUUID()}`,
    clientId: 'test-reader',
    bootstrapBrokers: [brokerEnv().bootstrap],
    isolationLevel: FetchIsolationLevels[opts.isolation ?? 'READ_UNCOMMITTED'],
    maxWaitTime: 200,
  })
  const out: Message<Buffer, Buffer, Buffer, Buffer>[] = []
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
  const timer = setTimeout(() => void stream.close(), opts.timeoutMs ?? 20_000)
  let idle: NodeJS.Timeout | undefined
  const armIdle = () => {
    if (opts.idleMs === undefined) return
    clearTimeout(idle)
    idle = setTimeout(() => void stream.close(), opts.idleMs)
  }
  armIdle()
  try {
    for await (const message of stream) {
      out.push(message)
      armIdle()
      if (out.length >= opts.count) break
    }
  } finally {
    clearTimeout(timer)
    clearTimeout(idle)
    await stream.close()
    await consumer.close(true)
  }
  return out
}

/** A header's value as a string (header maps are keyed by Buffer, so Map.get cannot find them). */
export function headerValue(
  message: Message<Buffer, Buffer, Buffer, Buffer>,
  name: string,
): string | undefined {
  for (const [k, v] of message.headers) if (k.toString() === name) return v.toString()
  return undefined
}
