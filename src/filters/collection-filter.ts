// config → (event) => keep? Only record operations are filtered by collection: account,
// identity, sync and info events always pass (consumers need them to purge and re-key).
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { createCollectionMatcher } from './collection-matcher.ts'

export function createCollectionFilter(config: {
  readonly matched?: readonly string[]
  readonly ignored?: readonly string[]
}): (event: AtprotoEvent) => boolean {
  const matched = config.matched ?? []
  const ignored = config.ignored ?? []
  if (matched.length > 0 && ignored.length > 0) {
    throw new Error('matched and ignored collections are mutually exclusive')
  }
  if (matched.length > 0) {
    const isMatched = createCollectionMatcher(matched)
    return (event) => event.kind !== 'operation' || isMatched(event.collection)
  }
  if (ignored.length > 0) {
    const isIgnored = createCollectionMatcher(ignored)
    return (event) => event.kind !== 'operation' || !isIgnored(event.collection)
  }
  return () => true
}
