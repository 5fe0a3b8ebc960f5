// config → (event) => keep? Only record operations are filtered by collection: account,
// identity, sync and info events always pass (consumers need them to purge and re-key).
import { ConfigError } from '../errors.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import {
  createCollectionMatcher,
  parseCollectionPatterns,
  validateCollectionPattern,
} from './collection-matcher.ts'

export interface CollectionFilterConfig {
  readonly matched?: readonly string[]
  readonly ignored?: readonly string[]
}

/**
 * true = keep. Config loading reports these problems with flag names first; the checks here
 * keep a mistaken caller from silently dropping or passing everything.
 */
export function createCollectionFilter(config: CollectionFilterConfig): (event: AtprotoEvent) => boolean {
  const matched = parseCollectionPatterns(config.matched ?? [])
  const ignored = parseCollectionPatterns(config.ignored ?? [])
  const problems: string[] = []
  if (matched.length > 0 && ignored.length > 0) {
    problems.push('matched and ignored collections: give one or the other, not both')
  }
  for (const p of [...matched, ...ignored]) {
    const problem = validateCollectionPattern(p)
    if (problem) problems.push(problem)
  }
  if (problems.length > 0) throw new ConfigError(problems)

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
