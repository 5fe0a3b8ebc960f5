// Standby: instances with the same source id join one Kafka consumer group on the (single
// partition) cursor topic; the member assigned that partition is the writer, the others wait.
// When the writer dies, the group coordinator drops it after the session timeout and the
// partition moves to a standby (chooseWriter decides who). A writer loses the role (fenced,
// final: the process exits) when the group gives the partition to another member, when Kafka
// fences its transactional producer (fence()), or when its event loop stood still past its
// session (SIGSTOP, a long GC): then the coordinator has dropped it, and the role reads fenced
// from the first moment the process runs again, before any heartbeat or produce answer. The
// role (role.ts) is what the status report, /readyz and the atkafka_writer gauge read.
import { Consumer, type GroupPartitionsAssigner } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { SinkError, WriterFencedError } from '../errors.ts'
import { connectionOptions, type KafkaConfig } from '../kafka/kafka-client-options.ts'
import { chooseWriter, decodeClaim, encodeClaim } from './choose-writer.ts'
import {
  afterJoin,
  fencedRole,
  joiningRole,
  pausedPastSession,
  type Role,
  standbyReady,
  steppedDown,
} from './role.ts'

/** how often the pause watchdog runs */
const TICK_MS = 100
/** an event loop that stood still longer than this was paused (SIGSTOP, GC), not just busy */
const PAUSE_MS = 1000

export interface WriterLease {
  /** resolves true once this instance is the writer, false if the signal aborted first; rejects if the group failed */
  acquired(signal: AbortSignal): Promise<boolean>
  /** aborts when the writer role is lost: a WriterFencedError, or the group's failure */
  readonly lost: AbortSignal
  /** the role now (a writer paused past its session reads fenced from the first call after it resumes) */
  role(): Role
  /** /readyz (role.ts standbyReady) */
  ready(upstreamConnected: boolean): boolean
  /** Kafka refused this instance's producer for a newer one with the same transactional id */
  fence(reason: string): void
  close(): Promise<void>
}

export function writerGroup(sourceId: string): string {
  return `atkafka-writer:${sourceId}`
}

export async function startWriterLease(
  options: {
    readonly kafka: KafkaConfig
    readonly topic: string
    readonly sourceId: string
    readonly sessionTimeoutMs: number
  },
  deps: { logger: Logger },
): Promise<WriterLease> {
  const { topic, sessionTimeoutMs } = options
  const { logger } = deps
  const group = writerGroup(options.sourceId)
  const startedAt = Date.now()
  let role = joiningRole(startedAt)
  let writerGeneration: number | null = null
  /** when the last heartbeat the coordinator answered was sent (or the last join completed) */
  let lastConfirmedMs = 0
  let heartbeatSentMs = 0
  let lastTickMs = Date.now()
  let closing = false
  const lost = new AbortController()
  let becameWriter: () => void = () => {}
  const writer = new Promise<void>((resolve) => {
    becameWriter = resolve
  })
  let groupFailed: (err: unknown) => void = () => {}
  const failure = new Promise<never>((_, reject) => {
    groupFailed = reject
  })
  failure.catch(() => {}) // observed by acquired() when it waits

  const fence = (reason: string) => {
    if (role.state === 'fenced') return
    role = fencedRole(role, reason, Date.now())
    writerGeneration = null
    lost.abort(new WriterFencedError(reason))
  }
  /** the role after the pause check: a paused writer is fenced before it does anything else */
  const current = (nowMs = Date.now()) => {
    if (
      role.state === 'writer' &&
      pausedPastSession({ nowMs, lastTickMs, lastConfirmedMs, sessionTimeoutMs, pauseMs: PAUSE_MS })
    )
      fence(
        `paused for ${nowMs - lastTickMs} ms and unconfirmed by the group for ${nowMs - lastConfirmedMs} ms, past the session timeout (${sessionTimeoutMs} ms): the group has dropped this member`,
      )
    return role
  }
  const watchdog = setInterval(() => {
    const now = Date.now()
    current(now)
    lastTickMs = now
  }, TICK_MS)
  watchdog.unref()

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
    groupId: group,
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
  consumer.on('consumer:heartbeat:start', () => {
    heartbeatSentMs = Date.now()
  })
  consumer.on('consumer:heartbeat:end', () => {
    lastConfirmedMs = heartbeatSentMs
  })
  consumer.on(
    'consumer:group:join',
    (event: {
      generationId?: number
      memberId?: string
      assignments?: { topic: string; partitions: number[] }[]
    }) => {
      const now = Date.now()
      lastConfirmedMs = now
      const generation = event.generationId ?? 0
      if (role.state === 'joining')
        logger.info(
          { group, generation, memberId: event.memberId, sessionTimeoutMs },
          'joined the standby group',
        )
      const holds = event.assignments?.some((a) => a.topic === topic && a.partitions.includes(0)) ?? false
      const before = role
      role = afterJoin(current(now), holds, generation, now)
      if (role === before) return
      if (role.state === 'writer') {
        writerGeneration = generation
        logger.info({ generation }, 'this instance is now the writer')
        becameWriter()
      } else if (role.state === 'standby') {
        logger.info({ generation }, 'standby: waiting for the writer role')
      } else if (role.state === 'fenced') {
        writerGeneration = null
        lost.abort(new WriterFencedError(role.reason ?? 'lost the writer role'))
      }
    },
  )
  const onGroupError = (err: unknown) => {
    if (closing) {
      logger.debug({ err }, 'standby group: error while leaving')
      return
    }
    logger.error({ err, role: role.state }, 'standby group failed; giving up')
    groupFailed(new SinkError('the standby group failed', { cause: err }))
    if (!lost.signal.aborted) lost.abort(new SinkError('the standby group failed', { cause: err }))
  }
  consumer.on('error', onGroupError)
  const stream = await consumer.consume({ topics: [topic], autocommit: false, mode: 'latest' })
  // the cursor records themselves are not needed: membership is what counts
  stream.on('data', () => {})
  stream.on('error', onGroupError)

  return {
    lost: lost.signal,
    role: () => current(),
    ready: (upstreamConnected) =>
      standbyReady({
        role: current(),
        nowMs: Date.now(),
        lastConfirmedMs,
        sessionTimeoutMs,
        upstreamConnected,
      }),
    fence,
    async acquired(signal) {
      if (role.state === 'writer') return true
      const aborted = new Promise<false>((resolve) => {
        if (signal.aborted) resolve(false)
        signal.addEventListener('abort', () => resolve(false), { once: true })
      })
      return Promise.race([writer.then(() => true), aborted, failure])
    },
    async close() {
      closing = true
      clearInterval(watchdog)
      // from here the next writer may get the partition: this instance says writer no more
      role = steppedDown(role, Date.now())
      await stream.close().catch((err: unknown) => logger.warn({ err }, 'closing the standby stream failed'))
      await consumer.close(true)
    },
  }
}
