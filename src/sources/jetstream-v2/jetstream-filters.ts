// Which events to ask Jetstream for, from atkafka's own options where they mean the same thing,
// and the same predicate applied to every archive row (plans over-select: a planned segment or
// block holds rows of other kinds, DIDs and collections).
// - collections: --matched-collections names namespaces (`app.bsky.feed.*` and `app.bsky.feed`
//   both match the namespace itself and everything under it); Jetstream takes exact NSIDs and
//   `<prefix>.*`. Each pattern becomes its `.*` form, plus the exact NSID when it is one.
//   Like atkafka's filter, Jetstream's constrains commits only. `*`, --ignored-collections
//   (no server form) and more than 100 patterns (the server's limit) ask for everything.
// - kinds: --format jetstream writes no #sync (Jetstream v1 has no shape for it), so the
//   stream need not carry it; otherwise all kinds.
import { isNsid } from '../../events/atproto-syntax.ts'
import type { PlanFilters } from './archive-client.ts'
import { ROW_KIND, type SegmentRow } from './segment-block.ts'

/** Jetstream's collections filter accepts at most this many patterns */
const MAX_COLLECTION_PATTERNS = 100

export interface FilterOptions {
  readonly matchedCollections: readonly string[]
  readonly format: string
}

export function serverFilters(options: FilterOptions): PlanFilters {
  const filters: { kinds?: string[]; collections?: string[] } = {}
  const patterns = options.matchedCollections
  if (patterns.length > 0 && !patterns.includes('*')) {
    const collections = patterns.flatMap((p) => {
      const namespace = p.endsWith('.*') ? p.slice(0, -2) : p
      return isNsid(namespace) ? [namespace, `${namespace}.*`] : [`${namespace}.*`]
    })
    if (collections.length <= MAX_COLLECTION_PATTERNS) filters.collections = collections
  }
  if (options.format === 'jetstream') filters.kinds = ['commit', 'identity', 'account']
  return filters
}

const KIND_NAMES: Record<number, string> = {
  [ROW_KIND.create]: 'commit',
  [ROW_KIND.update]: 'commit',
  [ROW_KIND.delete]: 'commit',
  [ROW_KIND.createResync]: 'commit',
  [ROW_KIND.identity]: 'identity',
  [ROW_KIND.account]: 'account',
  [ROW_KIND.sync]: 'sync',
}

/** atkafka's kind names, as atkafka_filtered_events_total counts them */
const EVENT_KINDS: Record<string, string> = {
  commit: 'operation',
  identity: 'identity',
  account: 'account',
  sync: 'sync',
}

/** a pattern as Jetstream reads it: an exact NSID, or `<prefix>.*` for everything under the prefix */
function jetstreamMatcher(patterns: readonly string[]): (collection: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')))
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1))
  return (c) => exact.has(c) || prefixes.some((p) => c.startsWith(p))
}

/**
 * true: the row is asked for; else the atkafka kind it is filtered as (counted). Rows of an
 * unknown kind pass, to be dropped as unknown_kind where they are decoded.
 */
export function createRowFilter(filters: PlanFilters): (row: SegmentRow) => true | string {
  const kinds = filters.kinds && filters.kinds.length > 0 ? new Set(filters.kinds) : undefined
  const dids = filters.dids && filters.dids.length > 0 ? new Set(filters.dids) : undefined
  const collection =
    filters.collections && filters.collections.length > 0 ? jetstreamMatcher(filters.collections) : undefined
  if (!kinds && !dids && !collection) return () => true
  return (row) => {
    const name = KIND_NAMES[row.kind]
    if (name === undefined) return true
    if (kinds && !kinds.has(name)) return EVENT_KINDS[name]!
    if (dids && !dids.has(row.did)) return EVENT_KINDS[name]!
    if (collection && name === 'commit' && !collection(row.collection)) return EVENT_KINDS[name]!
    return true
  }
}
