// Service (PDS host) patterns, as the Go original reads them: a pattern matches that host and
// every subdomain of it; a leading `*.` is the same thing spelled as a wildcard, so
// `*.bsky.network` and `bsky.network` both match `morel.us-east.host.bsky.network`. Pure.
import { ConfigError } from '../errors.ts'

const LABEL = /^[a-z0-9-]+$/i

/** A problem with the pattern, or undefined when it is valid. */
export function validateServicePattern(pattern: string): string | undefined {
  const shown = JSON.stringify(pattern)
  const body = pattern.startsWith('*.') ? pattern.slice(2) : pattern
  if (body === '') return `empty service pattern ${shown}`
  if (body.includes('*')) {
    return `invalid service pattern ${shown}: "*" may only start a pattern before a dot, as in *.bsky.network`
  }
  if (body.includes('://') || body.includes('/') || body.includes(':')) {
    return `invalid service pattern ${shown}: give a host name (as in *.bsky.network), not a URL or port`
  }
  if (!body.split('.').every((l) => LABEL.test(l))) {
    return `invalid service pattern ${shown}: expected a host name such as bsky.network`
  }
  return undefined
}

/** host → matches one of the patterns? Cost per call: one Set lookup per label of the host. */
export function createServiceMatcher(patterns: readonly string[]): (host: string) => boolean {
  const suffixes = new Set(patterns.map((p) => (p.startsWith('*.') ? p.slice(2) : p).toLowerCase()))
  return (host) => {
    let h = host.toLowerCase()
    for (;;) {
      if (suffixes.has(h)) return true
      const dot = h.indexOf('.')
      if (dot < 0) return false
      h = h.slice(dot + 1)
    }
  }
}

export type ServiceDecision = 'keep' | 'skip'

export interface ServiceFilterConfig {
  readonly matched: readonly string[]
  readonly ignored: readonly string[]
}

/**
 * host → keep or skip; undefined when no service filter is configured. The host is the
 * hostname of the DID's PDS endpoint; an account whose document names no PDS has host
 * undefined: it matches nothing (skipped under matched services, kept under ignored ones).
 */
export function createServiceFilter(
  config: ServiceFilterConfig,
): ((host: string | undefined) => ServiceDecision) | undefined {
  const problems: string[] = []
  if (config.matched.length > 0 && config.ignored.length > 0) {
    problems.push('matched and ignored services: give one or the other, not both')
  }
  for (const p of [...config.matched, ...config.ignored]) {
    const problem = validateServicePattern(p)
    if (problem) problems.push(problem)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  if (config.matched.length > 0) {
    const matches = createServiceMatcher(config.matched)
    return (host) => (host !== undefined && matches(host) ? 'keep' : 'skip')
  }
  if (config.ignored.length > 0) {
    const matches = createServiceMatcher(config.ignored)
    return (host) => (host !== undefined && matches(host) ? 'skip' : 'keep')
  }
  return undefined
}
