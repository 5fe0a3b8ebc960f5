// Collection (NSID) patterns, as the Go original reads them: a pattern names a namespace and
// matches the NSID itself and every NSID under it, so `app.bsky.*` and `app.bsky` both match
// `app.bsky.feed.post` (configs written for at-kafka keep working). `*` matches everything.

// letters, digits and hyphens, as NSID segments are; lenient on purpose (no length or
// leading-letter rules), since a stricter check would only refuse collections that exist
const SEGMENT = /^[a-zA-Z0-9-]+$/

/** Comma-separated lists as the Go original reads them: split, trimmed, empties dropped. */
export function parseCollectionPatterns(input: string | readonly string[]): string[] {
  const parts = typeof input === 'string' ? [input] : input
  return parts.flatMap((p) => p.split(',')).flatMap((p) => (p.trim() === '' ? [] : [p.trim()]))
}

/** A problem with the pattern, or undefined when it is valid. */
export function validateCollectionPattern(pattern: string): string | undefined {
  const shown = JSON.stringify(pattern)
  if (pattern === '*') return undefined
  if (pattern === '') return 'empty collection pattern'
  const body = pattern.endsWith('.*') ? pattern.slice(0, -2) : pattern
  if (body.includes('*')) {
    return `invalid collection pattern ${shown}: "*" may only stand alone or end a pattern after a dot, as in app.bsky.*`
  }
  const segments = body.split('.')
  if (segments.some((s) => s === '')) {
    return `invalid collection pattern ${shown}: empty segment (a leading, trailing or doubled dot)`
  }
  if (!segments.every((s) => SEGMENT.test(s))) {
    return `invalid collection pattern ${shown}: segments may hold only letters, digits and hyphens, as in app.bsky.feed.post`
  }
  return undefined
}

/**
 * A predicate for a list of patterns (valid ones; see validateCollectionPattern). Cost per
 * call does not grow with the number of patterns: one Set lookup per namespace level of the
 * collection (`a.b.c.d` checks `a.b.c.d`, `a`, `a.b`, `a.b.c`).
 */
export function createCollectionMatcher(patterns: readonly string[]): (collection: string) => boolean {
  const list = parseCollectionPatterns(patterns)
  if (list.includes('*')) return () => true
  const namespaces = new Set(list.map((p) => (p.endsWith('.*') ? p.slice(0, -2) : p)))
  return (collection) => {
    if (namespaces.has(collection)) return true
    for (let dot = collection.indexOf('.'); dot !== -1; dot = collection.indexOf('.', dot + 1)) {
      if (namespaces.has(collection.slice(0, dot))) return true
    }
    return false
  }
}
