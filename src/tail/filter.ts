// --did, --collection and --action as one predicate over the events tail reads. Collection
// patterns are read exactly as --matched-collections reads them (createCollectionMatcher).
import { createCollectionMatcher } from '../filters/collection-matcher.ts'
import type { TailAction, TailEvent } from './read-event.ts'

export interface TailFilterOptions {
  readonly dids?: readonly string[]
  /** patterns; when given, only record operations in a matching collection pass */
  readonly collections?: readonly string[]
  readonly actions?: readonly TailAction[]
}

/**
 * A predicate; every given filter must pass. An unreadable message (undefined) passes only
 * when no filter is set, so `tail` without filters shows everything in the topic.
 */
export function createTailFilter(options: TailFilterOptions): (event: TailEvent | undefined) => boolean {
  const dids = options.dids?.length ? new Set(options.dids) : undefined
  const collection = options.collections?.length ? createCollectionMatcher(options.collections) : undefined
  const actions = options.actions?.length ? new Set<string>(options.actions) : undefined
  if (!dids && !collection && !actions) return () => true
  return (event) => {
    if (!event) return false
    if (dids && !dids.has(event.did)) return false
    if (actions && !actions.has(event.action)) return false
    if (collection && (event.collection === undefined || !collection(event.collection))) return false
    return true
  }
}
