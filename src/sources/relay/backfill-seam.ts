// `firehose relay --backfill-seam <work topic>`: live after an `atkafka backfill`, with no gap
// (docs/backfill.md, "The cut-over to live").
//
// The source is wrapped. With `--backfill-seam-start done`, before its first delivery it waits
// until the backfill is done (every plan in `<work>.plan` complete, every work item consumed by
// the worker group, no transaction open on `<work>.done`), reads the relay seq the plan noted
// before it listed anything (`liveSeq`) and each copied repo's rev from `<work>.done`
// (read_committed) into a RevFloor. With `now` it waits only for the plan's `liveSeq`, reads the
// copies committed so far, and goes on reading `<work>.done` while it is live, until the backfill
// is done. Either way it reads the relay from `liveSeq` (or from the stored cursor when there is
// one) and drops, counted as `copied_by_backfill`, each record operation whose rev is at or below
// the rev its repo was copied at, as far as the table knows. Once the backfill is done it also
// notes the relay's current seq (`endSeq`): every commit after it is newer than any copy, so past
// it the table is let go.
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { readCommittedPartition } from '../../cursor/read-committed.ts'
import { SourceProtocolError } from '../../errors.ts'
import { connectionOptions, type KafkaConfig } from '../../kafka/kafka-client-options.ts'
import type { DropMetrics } from '../../pipeline/pipeline-metrics.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import { pause } from '../backoff.ts'
import { RevFloor } from './rev-floor.ts'

export interface SeamOptions {
  /** the backfill's work topic (`<work>.plan`, `<work>.done` beside it) */
  readonly workTopic: string
  /** the backfill workers' consumer group */
  readonly group: string
  /** most bytes the rev table may take; a backfill that needs more stops the run */
  readonly maxBytes: number
  /** how often the backfill is looked at while it is not done (and, with `now`, `<work>.done` read) */
  readonly pollMs: number
  /** `done`: live once the backfill is done; `now`: live at once, the copies read as they commit */
  readonly start: 'done' | 'now'
}

/**
 * waiting: for the backfill to be done (`done`), or for its plan's seq (`now`); loading: reading
 * the copies; copying (`now`): live while the workers copy; filtering: live, the backfill done;
 * passed: past endSeq, the table let go
 */
type SeamState = 'waiting' | 'loading' | 'copying' | 'filtering' | 'passed'

export interface SeamStatus {
  readonly workTopic: string
  readonly state: SeamState
  /** work items not consumed yet (while waiting) */
  readonly left: number | null
  /** the relay seq the plan noted before listing: where live starts */
  readonly liveSeq: number | null
  /** the relay seq noted once the backfill was done: past it the table is let go */
  readonly endSeq: number | null
  /** repos in the table, and its bytes */
  readonly repos: number
  readonly bytes: number
  /** live record operations dropped as already copied */
  readonly skipped: number
}

export interface SeamSource<P> extends Source<P> {
  seam(): SeamStatus
}

/** a backfill to go live after: the seq its plan noted, and the rev each repo was copied at */
export interface Backfill {
  readonly liveSeq: number
  /** the copies read so far (with `now`, it grows until `done`) */
  readonly floor: RevFloor
  /**
   * resolves once the backfill is done and every copy is in `floor` (at once with `done`);
   * rejects when the copies can no longer be followed (the seam cannot be kept: the run ends)
   */
  readonly done: Promise<void>
}

/** what the seam is told while it waits for the backfill */
interface WaitHooks {
  /** work items not consumed yet */
  onLeft(n: number): void
  /** the backfill is done; its copies are being read */
  onLoading(): void
}

/** resolves once live may start (waitForBackfill: from Kafka); the signal also ends a `done` still followed */
export type BackfillLoader = (signal: AbortSignal, hooks: WaitHooks) => Promise<Backfill>

/** `source` (a relay's) with the seam: waits for the backfill (or its seq), starts at its liveSeq, skips what it copied */
export function withBackfillSeam(
  source: Source<number>,
  options: { readonly workTopic: string },
  deps: {
    backfill: BackfillLoader
    metrics: DropMetrics
    logger: Logger
    /** the upstream's current seq (sources/relay/current-seq.ts) */
    currentSeq: (signal: AbortSignal) => Promise<number>
  },
): SeamSource<number> {
  const { logger } = deps
  let state: SeamState = 'waiting'
  let left: number | null = null
  let liveSeq: number | null = null
  let endSeq: number | null = null
  let floor: RevFloor | undefined
  let repos = 0
  let bytes = 0
  let skipped = 0
  /** why the copies can no longer be followed: the run ends before anything unfiltered goes out */
  let failure: unknown

  const keep = (events: Delivery['events']): Delivery['events'] => {
    if (floor === undefined) return events
    let out: Delivery['events'][number][] | undefined
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!
      if (e.kind !== 'operation') {
        out?.push(e)
        continue
      }
      if (endSeq !== null && e.seq !== undefined && e.seq > endSeq) {
        // every commit from here on is newer than any copy
        repos = floor.size
        bytes = floor.bytes
        logger.info({ endSeq, seq: e.seq, repos, skipped }, 'backfill seam passed: the rev table is let go')
        floor = undefined
        state = 'passed'
        return out === undefined ? events : [...out, ...events.slice(i)]
      }
      if (floor.covers(e.did, e.rev)) {
        out ??= events.slice(0, i)
        skipped++
        deps.metrics.eventDropped('copied_by_backfill')
        continue
      }
      out?.push(e)
    }
    return out ?? events
  }

  // noted once every copy is committed: a commit after it is newer than its repo's copy
  const noteEnd = (signal: AbortSignal) =>
    deps
      .currentSeq(signal)
      .then((seq) => {
        endSeq = seq
        logger.info({ endSeq }, 'backfill seam: the relay seq past which no copy can hold an event')
      })
      .catch((err: unknown) => {
        if (signal.aborted) return // stopping: nothing to note any more
        // a quiet upstream sends nothing to note: the table is kept for the whole run
        logger.warn({ err }, 'backfill seam: the relay seq was not noted; the rev table stays for this run')
      })

  return {
    get connected() {
      return source.connected
    },
    checkpoint: source.checkpoint ? () => source.checkpoint!() : undefined,
    seam: () => {
      if (floor !== undefined) {
        repos = floor.size
        bytes = floor.bytes
      }
      return { workTopic: options.workTopic, state, left, liveSeq, endSeq, repos, bytes, skipped }
    },
    async *deliveries(outer, after) {
      // ends the copies still followed when the reading ends, whatever ends it
      const stop = new AbortController()
      const signal = AbortSignal.any([outer, stop.signal])
      try {
        const backfill = await deps.backfill(signal, {
          onLeft: (n) => {
            left = n
          },
          onLoading: () => {
            state = 'loading'
          },
        })
        floor = backfill.floor
        liveSeq = backfill.liveSeq
        state = 'copying'
        backfill.done.then(
          () => {
            left = 0
            if (state === 'copying') state = 'filtering'
            void noteEnd(signal) // never rejects: a seq not noted keeps the table
          },
          (err: unknown) => {
            if (!signal.aborted) failure = err
          },
        )
        const start = after ?? backfill.liveSeq - 1
        logger.info(
          { from: start, liveSeq: backfill.liveSeq, storedCursor: after ?? null, repos: floor.size },
          'backfill seam: live from the seq the plan noted, skipping what the backfill copied',
        )
        for await (const d of source.deliveries(signal, start)) {
          if (failure !== undefined) throw failure
          const events = keep(d.events)
          yield events === d.events ? d : { events, bytes: d.bytes, ack: d.ack }
        }
      } finally {
        stop.abort()
      }
    },
  }
}

/** the loader of a backfill in Kafka: waits until it is done (or, with `now`, for its seq), then reads its liveSeq and the rev each repo was copied at */
export function waitForBackfill(kafka: KafkaConfig, options: SeamOptions, logger: Logger): BackfillLoader {
  return (signal, hooks) => waitInKafka(kafka, options, { logger, ...hooks }, signal)
}

async function waitInKafka(
  kafka: KafkaConfig,
  options: SeamOptions,
  deps: { logger: Logger } & WaitHooks,
  signal: AbortSignal,
): Promise<Backfill> {
  const work = options.workTopic
  const group = new Consumer({ ...connectionOptions(kafka), groupId: options.group, maxWaitTime: 100 })
  const reader = new Consumer({
    ...connectionOptions(kafka),
    groupId: `${options.group}-seam-reader`,
    maxWaitTime: 100,
  })
  const close = async () => {
    await reader.close(true).catch(() => undefined) // nothing in flight on it
    await group.close(true).catch(() => undefined) // never joined: nothing to leave
  }
  const floor = new RevFloor(options.maxBytes)
  const copies = new DoneTail(reader, work)
  let following = false
  try {
    let logged = 0
    let unreadable: unknown
    for (;;) {
      signal.throwIfAborted()
      // the seam cannot be kept (SourceProtocolError): the run ends; anything else (the topics
      // not there yet, the broker away) is looked at again
      const look = await lookAtBackfill(group, reader, work).catch((err: unknown) => {
        if (err instanceof SourceProtocolError) throw err
        unreadable = err
        return undefined
      })
      if (look?.done) {
        deps.onLoading()
        await readAll(copies, floor, options, signal)
        deps.logger.info(
          { workTopic: work, repos: floor.size, bytes: floor.bytes },
          'backfill seam: copies read',
        )
        return { liveSeq: look.liveSeq, floor, done: Promise.resolve() }
      }
      if (look) deps.onLeft(look.left)
      if (options.start === 'now' && look?.liveSeq !== undefined) {
        // live at once: the copies committed so far first, then each as it commits
        deps.onLoading()
        await readAll(copies, floor, options, signal)
        deps.logger.info(
          { workTopic: work, liveSeq: look.liveSeq, left: look.left, repos: floor.size },
          'backfill seam: live while the backfill copies; its copies are read as they commit',
        )
        following = true
        const done = (async () => {
          try {
            await follow({ group, reader, copies, floor, options, deps, signal })
          } finally {
            await close()
          }
        })()
        done.catch(() => undefined) // the seam's (it ends the run); not unhandled meanwhile
        return { liveSeq: look.liveSeq, floor, done }
      }
      if (Date.now() - logged > 60_000) {
        logged = Date.now()
        deps.logger.info(
          {
            workTopic: work,
            left: look?.left ?? null,
            plansComplete: look?.plansComplete ?? null,
            ...(look ? {} : { err: unreadable }),
          },
          options.start === 'now'
            ? 'backfill seam: waiting for the plan to note the relay seq before going live'
            : 'backfill seam: waiting for the backfill to be done before going live',
        )
      }
      await pause(options.pollMs, signal)
    }
  } finally {
    if (!following) await close()
  }
}

/** with `now`: reads each copy as it commits until the backfill is done (resolves), or the run stops */
async function follow(run: {
  group: Consumer
  reader: Consumer
  copies: DoneTail
  floor: RevFloor
  options: SeamOptions
  deps: { logger: Logger } & WaitHooks
  signal: AbortSignal
}): Promise<void> {
  const { group, reader, copies, floor, options, deps, signal } = run
  let logged = Date.now()
  for (;;) {
    await pause(options.pollMs, signal)
    // stopping: the consumers close, nothing keeps the process
    signal.throwIfAborted()
    // a copy read before the backfill is looked at: when done, the read below ends the table
    const read = await copies.read(floor, options.maxBytes).then(
      () => true,
      (err: unknown) => {
        if (err instanceof SourceProtocolError) throw err
        return false // the broker away: looked at again
      },
    )
    const look = read
      ? await lookAtBackfill(group, reader, options.workTopic).catch((err: unknown) => {
          if (err instanceof SourceProtocolError) throw err
          return undefined
        })
      : undefined
    if (look && !look.done) deps.onLeft(look.left)
    if (look?.done) {
      // no transaction open on <work>.done now: every copy is below its stable end
      await readAll(copies, floor, options, signal)
      deps.logger.info(
        { workTopic: options.workTopic, repos: floor.size, bytes: floor.bytes },
        'backfill seam: the backfill is done; every copy read',
      )
      return
    }
    if (Date.now() - logged > 60_000) {
      logged = Date.now()
      deps.logger.info(
        { workTopic: options.workTopic, left: look?.left ?? null, repos: floor.size, bytes: floor.bytes },
        'backfill seam: live while the backfill copies',
      )
    }
  }
}

/** every copy committed by now into `floor`, the broker's absences waited out (a table past its bytes ends the run) */
async function readAll(copies: DoneTail, floor: RevFloor, options: SeamOptions, signal: AbortSignal) {
  for (;;) {
    signal.throwIfAborted()
    const read = await copies.read(floor, options.maxBytes).then(
      () => true,
      (err: unknown) => {
        if (err instanceof SourceProtocolError) throw err
        return false // the broker away: read again (each partition goes on where it stopped)
      },
    )
    if (read) return
    await pause(options.pollMs, signal)
  }
}

type Look =
  | { done: false; left: number; plansComplete: boolean; liveSeq?: number }
  | { done: true; liveSeq: number }

async function lookAtBackfill(group: Consumer, reader: Consumer, work: string): Promise<Look> {
  // the latest state of each plan (keyed by plan id)
  const plans = new Map<string, { complete: boolean; liveSeq?: number }>()
  await readCommittedPartition(reader, `${work}.plan`, 0, (r) => {
    if (!r.key || !r.value) return
    try {
      const { complete, liveSeq } = JSON.parse(r.value.toString()) as {
        complete?: unknown
        liveSeq?: unknown
      }
      if (typeof complete !== 'boolean') return
      plans.set(r.key.toString(), typeof liveSeq === 'number' ? { complete, liveSeq } : { complete })
    } catch {
      // not a plan state: only plans are read here
    }
  })
  const ends = (await reader.listOffsets({ topics: [work] })).get(work) ?? []
  const committed =
    (await group.listCommittedOffsets({ topics: [{ topic: work, partitions: ends.map((_, i) => i) }] })).get(
      work,
    ) ?? []
  let left = 0
  for (const [i, end] of ends.entries()) {
    const c = committed[i] ?? -1n
    left += Number(end - (c > 0n ? c : 0n))
  }
  const seqs = [...plans.values()].map((p) => p.liveSeq).filter((s): s is number => s !== undefined)
  const liveSeq = seqs.length > 0 ? Math.min(...seqs) : undefined
  const plansComplete = plans.size > 0 && [...plans.values()].every((p) => p.complete)
  if (!plansComplete || left > 0 || !(await doneSettled(reader, work))) {
    return liveSeq === undefined
      ? { done: false, left, plansComplete }
      : { done: false, left, plansComplete, liveSeq }
  }
  if (liveSeq === undefined) {
    throw new SourceProtocolError(
      `the backfill in ${work} noted no relay seq to go live from: plan with --backfill-relay-host or --backfill-live-host`,
    )
  }
  return { done: true, liveSeq }
}

/**
 * whether no transaction is open on `<work>.done`: a lane's commit marks its offsets and its
 * done record at about the same time, not at once; when the two ends agree every copy is readable
 */
async function doneSettled(reader: Consumer, work: string): Promise<boolean> {
  const topic = `${work}.done`
  const stable = (
    await reader.listOffsets({ topics: [topic], isolationLevel: FetchIsolationLevels.READ_COMMITTED })
  ).get(topic)
  const high = (
    await reader.listOffsets({ topics: [topic], isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED })
  ).get(topic)
  return stable !== undefined && high !== undefined && stable.every((s, i) => s === high[i])
}

/** `<work>.done` read on from where the last read ended: each committed copy once */
class DoneTail {
  readonly #reader: Consumer
  readonly #topic: string
  readonly #next: bigint[] = []

  constructor(reader: Consumer, work: string) {
    this.#reader = reader
    this.#topic = `${work}.done`
  }

  /** notes in `floor` the rev of each copy committed since the last read */
  async read(floor: RevFloor, maxBytes: number): Promise<void> {
    const topic = this.#topic
    const metadata = await this.#reader.metadata({ topics: [topic] })
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0
    for (let p = 0; p < partitions; p++) {
      this.#next[p] = await readCommittedPartition(
        this.#reader,
        topic,
        p,
        (r) => {
          if (!r.key || !r.value) return
          let rev: unknown
          try {
            rev = (JSON.parse(r.value.toString()) as { rev?: unknown }).rev
          } catch {
            return // not a done record: nothing copied to skip for it
          }
          if (typeof rev !== 'string') return
          try {
            floor.set(r.key.toString(), rev)
          } catch (err) {
            throw new SourceProtocolError(
              `backfill seam: ${topic}: ${(err as Error).message} (--backfill-seam-max-bytes ${maxBytes})`,
              { cause: err },
            )
          }
        },
        this.#next[p],
      )
    }
  }
}
