// Replaying the sealed archive: page planSnapshot (afterSeq = the previous page's
// plannedThroughSeq, beforeSeq pinned to the first page's sealedTipSeq) until the plan reaches
// the pinned tip; download the planned segments and block ranges ahead of the consumer, at most
// `concurrency` at a time and at most `maxBytes` held (downloaded, not yet replayed; the
// download the consumer waits for always proceeds, so one segment larger than the budget still
// makes progress); verify each segment's checksum; hand out the rows block by block in plan
// order, which is seq order. A failed download is retried with backoff (transport failures,
// 5xx, 429); any other refusal ends the replay with the server's error.
import type { Logger } from 'pino'
import { SourceConnectionError, SourceProtocolError } from '../../errors.ts'
import { backoffDelay, pause } from '../backoff.ts'
import { type ArchiveClient, JetstreamApiError, type PlanEntry, type PlanFilters } from './archive-client.ts'
import type { Inflated, Inflater } from './inflater.ts'
import type { JetstreamMetrics } from './jetstream-metrics.ts'
import { type PreparedRecords, preparedBytes, receivedRecords } from './prepared-records.ts'
import { inflatedBlockRows } from './read-segment.ts'
import type { SegmentRow } from './segment-block.ts'

export interface ReplayOptions {
  readonly filters: PlanFilters
  /** rows at or below this seq are already in Kafka (0: from the start) */
  readonly afterSeq: number
  readonly concurrency: number
  readonly maxBytes: number
  readonly retryMinMs: number
  readonly retryMaxMs: number
}

export interface ReplayCounts {
  pages: number
  segments: number
  blocks: number
  bytes: number
  retries: number
  /** segments whose checksum was not the plan's (rewritten by compaction since the plan) */
  changed: number
}

/** one block's rows, with the bytes its download took (counted against the in-flight window) */
interface ReplayBlock {
  readonly rows: readonly SegmentRow[]
  /** the rows' records as the inflate worker prepared them (prepared-records.ts), when it could */
  readonly prepared?: ReturnType<typeof receivedRecords>
  readonly bytes: number
}

/** a block's prepared records, if there is one for each of its rows */
function preparedFor(rows: readonly SegmentRow[], p: PreparedRecords | undefined) {
  return p !== undefined && p.ends.length === rows.length ? receivedRecords(p) : undefined
}

interface Download {
  readonly entry: PlanEntry
  /** decompressed blocks (segment mode: all of them, with the index; blocks mode: the planned ones) */
  readonly done: Promise<{
    segment?: Inflated
    blocks?: { index: number; block: Uint8Array; prepared: PreparedRecords | undefined }[]
    bytes: number
  }>
}

/** the pinned tip and the blocks, in seq order; `tip()` is known after the first page */
export interface Replay {
  blocks(signal: AbortSignal): AsyncGenerator<ReplayBlock>
  /** the first page's sealedTipSeq (undefined before the first page) */
  tip(): number | undefined
  readonly counts: ReplayCounts
}

/** `inflater` decompresses (and checks) off the main thread: see inflate-worker.ts */
export function createReplay(
  client: ArchiveClient,
  options: ReplayOptions,
  logger: Logger,
  inflater: Inflater,
  report: Pick<JetstreamMetrics, 'archive' | 'archiveBytes'>,
): Replay {
  const counts: ReplayCounts = { pages: 0, segments: 0, blocks: 0, bytes: 0, retries: 0, changed: 0 }
  let pinnedTip: number | undefined

  /** retries `run` on what may pass (transport failures, 5xx, 429), with backoff; throws the rest */
  async function retrying<T>(what: string, signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run()
      } catch (err) {
        const transient =
          err instanceof SourceConnectionError || (err instanceof JetstreamApiError && err.transient)
        if (!transient || signal.aborted) throw err
        counts.retries++
        report.archive('retry')
        const delay = backoffDelay(attempt, options.retryMinMs, options.retryMaxMs)
        logger.warn(
          { err: (err as Error).message, attempt, nextAttemptInMs: delay },
          `${what} failed; retrying`,
        )
        await pause(delay, signal)
        if (signal.aborted) throw err
      }
    }
  }

  /** planned entries, page after page */
  async function* entries(signal: AbortSignal): AsyncGenerator<PlanEntry> {
    let after = options.afterSeq
    for (;;) {
      const request = {
        ...options.filters,
        ...(after > 0 ? { afterSeq: after } : {}),
        ...(pinnedTip === undefined ? {} : { beforeSeq: pinnedTip }),
      }
      const page = await retrying('planSnapshot', signal, () => client.planSnapshot(request, signal))
      counts.pages++
      report.archive('page')
      pinnedTip ??= page.sealedTipSeq
      logger.info(
        {
          afterSeq: after,
          plannedThroughSeq: page.plannedThroughSeq,
          sealedTipSeq: pinnedTip,
          entries: page.segments.length,
        },
        'archive plan page',
      )
      for (const entry of page.segments) yield entry
      if (page.plannedThroughSeq >= pinnedTip) return
      if (page.plannedThroughSeq <= after) {
        throw new SourceProtocolError(
          `planSnapshot made no progress: plannedThroughSeq ${page.plannedThroughSeq} after afterSeq ${after}, below the sealed tip ${pinnedTip}`,
        )
      }
      after = page.plannedThroughSeq
    }
  }

  async function* blocks(signal: AbortSignal): AsyncGenerator<ReplayBlock> {
    let held = 0
    let waiting: (() => void)[] = []
    const released = () => {
      const wake = waiting
      waiting = []
      for (const w of wake) w()
    }
    const window: Download[] = []
    /** waits until `n` more bytes fit in the budget, unless this download is the one replayed next */
    const reserve = async (download: () => Download | undefined, n: number) => {
      while (held >= options.maxBytes && window[0] !== download() && !signal.aborted) {
        await new Promise<void>((resolve) => waiting.push(resolve))
      }
      held += n
      counts.bytes += n
      if (n > 0) report.archiveBytes(n)
    }
    const start = (entry: PlanEntry): Download => {
      let self: Download | undefined
      const done = (async () => {
        if (entry.mode === 'segment') {
          let got = 0
          const bytes = await retrying(`getSegment ${entry.name}`, signal, () => {
            held -= got
            got = 0
            return client.getSegment(entry, signal, (n) => {
              got += n
              return reserve(() => self, n)
            })
          })
          const segment = await inflater.run('segment', bytes)
          // the compressed bytes went to the worker; the decompressed ones are held now, with
          // their prepared records
          const inflated =
            segment.blocks.reduce((n, b) => n + b.byteLength, 0) +
            segment.prepared.reduce((n, p) => n + preparedBytes(p), 0)
          await reserve(() => self, inflated - got)
          return { segment, bytes: inflated }
        }
        const blocks: { index: number; block: Uint8Array; prepared: PreparedRecords | undefined }[] = []
        let bytes = 0
        for (const range of entry.blocks ?? []) {
          for (let index = range.first; index <= range.last; index++) {
            const frame = await retrying(`getBlock ${entry.name} #${index}`, signal, () =>
              client.getBlock(entry, index, signal),
            )
            const inflated = await inflater.run('block', frame)
            const block = inflated.blocks[0]!
            const prepared = inflated.prepared[0]
            const held = block.byteLength + (prepared ? preparedBytes(prepared) : 0)
            await reserve(() => self, held)
            bytes += held
            blocks.push({ index, block, prepared })
          }
        }
        return { blocks, bytes }
      })()
      // a download that fails is awaited (and its error thrown) when it is its turn
      done.catch(() => {})
      self = { entry, done }
      return self
    }

    const planned = entries(signal)
    let exhausted = false
    const fill = async () => {
      while (!exhausted && window.length < options.concurrency && held < options.maxBytes) {
        const next = await planned.next()
        if (next.done) {
          exhausted = true
          return
        }
        window.push(start(next.value))
      }
    }
    try {
      for (;;) {
        await fill()
        const head = window[0]
        if (head === undefined) return
        const got = await head.done
        const { entry } = head
        try {
          if (got.segment) {
            yield* segmentBlocks(entry, got.segment)
          } else {
            for (const { index, block, prepared } of got.blocks ?? []) {
              counts.blocks++
              report.archive('block')
              const rows = inflatedBlockRows(block, undefined, index)
              yield { rows, prepared: preparedFor(rows, prepared), bytes: block.byteLength }
            }
          }
          counts.segments++
          report.archive('segment')
        } finally {
          window.shift()
          held -= got.bytes
          released()
        }
      }
    } finally {
      await planned.return(undefined)
    }
  }

  function* segmentBlocks(entry: PlanEntry, segment: Inflated): Generator<ReplayBlock> {
    const { header, checksum, entries = [], blocks: inflated } = segment
    if (header === undefined || checksum !== header.checksum) {
      throw new SourceProtocolError(
        `segment ${entry.name}: its checksum says ${header?.checksum}, its bytes hash to ${checksum}`,
      )
    }
    if (checksum !== entry.checksum) {
      // compaction rewrote it after the plan: the new generation keeps blocks and seq ranges
      counts.changed++
      logger.info(
        { segment: entry.name, planned: entry.checksum, got: checksum },
        'segment changed since the plan',
      )
    }
    for (let b = 0; b < entries.length; b++) {
      // blocks wholly at or below the resume point are skipped
      if (entries[b]!.maxSeq <= options.afterSeq) continue
      counts.blocks++
      report.archive('block')
      const block = inflated[b]!
      const rows = inflatedBlockRows(block, entries[b], b)
      yield { rows, prepared: preparedFor(rows, segment.prepared[b]), bytes: block.byteLength }
    }
  }

  return { blocks, tip: () => pinnedTip, counts }
}
