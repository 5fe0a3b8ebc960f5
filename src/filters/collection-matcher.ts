// Collection (NSID) patterns as the Go original reads them: `app.bsky.*` matches `app.bsky`
// itself and everything under it, `*` matches everything, anything else matches exactly.

const SEGMENT = /^[a-zA-Z0-9-]+$/

/** A problem with the pattern, or undefined when it is valid. */
export function validateCollectionPattern(pattern: string): string | undefined {
  if (pattern === '*') return undefined
  const body = pattern.endsWith('.*') ? pattern.slice(0, -2) : pattern
  if (body.includes('*')) {
    return `invalid collection pattern ${JSON.stringify(pattern)}: "*" may only end a pattern, as in app.bsky.*`
  }
  const segments = body.split('.')
  if (segments.some((s) => !SEGMENT.test(s))) {
    return `invalid collection pattern ${JSON.stringify(pattern)}: expected an NSID such as app.bsky.feed.post or a prefix such as app.bsky.*`
  }
  return undefined
}

export function createCollectionMatcher(patterns: readonly string[]): (collection: string) => boolean {
  if (patterns.includes('*')) return () => true
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const p of patterns) {
    if (p.endsWith('.*')) {
      const prefix = p.slice(0, -2)
      exact.add(prefix)
      prefixes.push(`${prefix}.`)
    } else exact.add(p)
  }
  return (collection) => {
    if (exact.has(collection)) return true
    for (const prefix of prefixes) if (collection.startsWith(prefix)) return true
    return false
  }
}
