// `atkafka backfill plan`: the repos to copy → work items in the work topic, keyed by DID.
//
// Sources: the PDS hosts given (com.atproto.sync.listRepos on each; the PDS of a listed repo is
// that host), a relay (listRepos, or listReposByCollection once per collection when collections
// are given; each repo's PDS from its DID document), or a list of DIDs (PDS from the document).
// Inactive repos (listRepos' `active: false`) and DIDs whose document names no PDS are skipped
// and counted. Page by page: the page's items are written (acks=all), then the plan state; see
// plan-state.ts for what a restart does.
import type { Logger } from 'pino'
import type { CursorStore } from '../cursor/cursor-store.ts'
import { isDid } from '../events/atproto-syntax.ts'
import type { AtkafkaProducer } from '../kafka/create-producer.ts'
import type { PlanState } from './plan-state.ts'
import { encodeWorkItem, type WorkItem } from './work-item.ts'

export type PlanSource =
  | { readonly kind: 'hosts'; readonly hosts: readonly string[] }
  | { readonly kind: 'relay'; readonly relay: string; readonly collections: readonly string[] }
  | { readonly kind: 'dids'; readonly dids: readonly string[] }

/** one listed repo */
export interface Listed {
  readonly did: string
  readonly rev?: string
  readonly active?: boolean
}

export interface PlannerDeps {
  readonly producer: AtkafkaProducer
  readonly state: CursorStore<PlanState>
  /** one page of a listing: `method` on `host` (an origin) with these params */
  readonly listPage: (
    host: string,
    method: 'com.atproto.sync.listRepos' | 'com.atproto.sync.listReposByCollection',
    params: Record<string, string>,
    signal: AbortSignal,
  ) => Promise<{ repos: Listed[]; cursor?: string }>
  /** the PDS origin in the DID's document, or undefined when it names none */
  readonly resolvePds: (did: string, signal: AbortSignal) => Promise<string | undefined>
  /** the relay's current seq (for the cut-over to live), when planning from a relay */
  readonly currentSeq?: (signal: AbortSignal) => Promise<number>
  readonly logger: Logger
}

export interface PlanOptions {
  readonly workTopic: string
  readonly pageSize: number
  /** DID documents resolved at once */
  readonly resolveConcurrency: number
}

export interface PlanResult {
  readonly state: PlanState
  /** false when the plan was complete before this run (nothing was added) */
  readonly ran: boolean
}

export async function runPlan(
  source: PlanSource,
  options: PlanOptions,
  deps: PlannerDeps,
  signal: AbortSignal,
): Promise<PlanResult> {
  const { logger } = deps
  let state: PlanState = (await deps.state.load()) ?? { step: 0, planned: 0, skipped: 0, complete: false }
  if (state.complete) {
    logger.info(
      { planned: state.planned, where: deps.state.location },
      'backfill plan: already complete, nothing to add',
    )
    return { state, ran: false }
  }
  if (
    state.liveSeq === undefined &&
    deps.currentSeq !== undefined &&
    state.step === 0 &&
    state.cursor === undefined
  ) {
    state = { ...state, liveSeq: await deps.currentSeq(signal) }
    await deps.state.save(state)
    logger.info({ liveSeq: state.liveSeq }, 'backfill plan: the relay seq live mode starts from')
  }
  const steps = stepsOf(source)
  while (state.step < steps.length && !signal.aborted) {
    const step = steps[state.step]!
    const page = await step.page(state.cursor, signal)
    const items: WorkItem[] = []
    let skipped = 0
    await forEachLimited(page.repos, options.resolveConcurrency, async (repo) => {
      if (!isDid(repo.did) || repo.active === false) {
        skipped++
        return
      }
      const pds =
        step.pds ??
        (await deps.resolvePds(repo.did, signal).catch((err: unknown) => {
          logger.warn({ did: repo.did, err }, 'backfill plan: cannot resolve the DID; skipped')
          return undefined
        }))
      if (pds === undefined) {
        skipped++
        return
      }
      items.push(repo.rev === undefined ? { did: repo.did, pds } : { did: repo.did, pds, rev: repo.rev })
    })
    if (signal.aborted) break
    if (items.length > 0) {
      await deps.producer.send({
        messages: items.map((i) => ({ topic: options.workTopic, key: i.did, value: encodeWorkItem(i) })),
      })
    }
    const next = page.cursor
    state = {
      ...state,
      planned: state.planned + items.length,
      skipped: state.skipped + skipped,
      ...(next === undefined || page.repos.length === 0
        ? { step: state.step + 1, cursor: undefined }
        : { cursor: next }),
    }
    if (state.cursor === undefined) {
      const { cursor: _, ...rest } = state
      state = rest
    }
    await deps.state.save(state)
    logger.debug(
      { planned: state.planned, step: state.step, cursor: state.cursor },
      'backfill plan: page written',
    )
  }
  if (!signal.aborted) {
    state = { ...state, complete: true }
    await deps.state.save(state)
    logger.info({ planned: state.planned, skipped: state.skipped }, 'backfill plan: complete')
  }
  return { state, ran: true }

  function stepsOf(s: PlanSource): {
    pds?: string
    page: (cursor: string | undefined, sig: AbortSignal) => Promise<{ repos: Listed[]; cursor?: string }>
  }[] {
    const limit = String(options.pageSize)
    const withCursor = (params: Record<string, string>, cursor: string | undefined) =>
      cursor === undefined ? params : { ...params, cursor }
    switch (s.kind) {
      case 'hosts':
        return s.hosts.map((host) => ({
          pds: host,
          page: (cursor, sig) =>
            deps.listPage(host, 'com.atproto.sync.listRepos', withCursor({ limit }, cursor), sig),
        }))
      case 'relay':
        if (s.collections.length === 0) {
          return [
            {
              page: (cursor, sig) =>
                deps.listPage(s.relay, 'com.atproto.sync.listRepos', withCursor({ limit }, cursor), sig),
            },
          ]
        }
        return s.collections.map((collection) => ({
          page: (cursor, sig) =>
            deps.listPage(
              s.relay,
              'com.atproto.sync.listReposByCollection',
              withCursor({ collection, limit: String(Math.min(2000, options.pageSize)) }, cursor),
              sig,
            ),
        }))
      case 'dids':
        return [
          {
            page: async (cursor) => {
              const from = cursor === undefined ? 0 : Number(cursor)
              const to = Math.min(s.dids.length, from + options.pageSize)
              return {
                repos: s.dids.slice(from, to).map((did) => ({ did })),
                ...(to < s.dids.length ? { cursor: String(to) } : {}),
              }
            },
          },
        ]
    }
  }
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!)
  })
  await Promise.all(lanes)
}
