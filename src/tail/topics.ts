// Which topics `atkafka tail` follows: --topics names and patterns (`*` stands for any run of
// characters, e.g. `atproto.*`), or by default the output topic plus every topic the firehose's
// --topic-routes writes to (its templates as patterns). Pure; the broker's topic list is given.
import type { TopicRoutes } from '../output/topic-routes.ts'

export interface TailTopicsConfig {
  readonly outputTopic: string
  /** --topics; empty: the default set */
  readonly tailTopics?: readonly string[]
  /** --topic-routes, when set (the same variable as the firehose's) */
  readonly topicRoutes?: TopicRoutes
}

/** the names and patterns to follow */
export function tailTopicPatterns(config: TailTopicsConfig): string[] {
  if (config.tailTopics && config.tailTopics.length > 0) return [...new Set(config.tailTopics)]
  const routes = config.topicRoutes
  if (!routes) return [config.outputTopic]
  return [
    ...new Set([
      config.outputTopic,
      ...routes.literalTopics,
      ...routes.templates.map((t) => `${t.prefix}*${t.suffix}`),
    ]),
  ]
}

const isPattern = (p: string) => p.includes('*')

function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${body}$`)
}

/**
 * The topics to subscribe to: plain names as given (tail waits for them), patterns expanded
 * against `existing` (Kafka's internal `__…` topics never match). `unmatched`: patterns that
 * matched nothing.
 */
export function selectTopics(
  patterns: readonly string[],
  existing: readonly string[],
): { topics: string[]; unmatched: string[] } {
  const topics = new Set<string>()
  const unmatched: string[] = []
  const candidates = existing.filter((t) => !t.startsWith('__')).sort()
  for (const p of patterns) {
    if (!isPattern(p)) {
      topics.add(p)
      continue
    }
    const re = patternRegex(p)
    const hits = candidates.filter((t) => re.test(t))
    if (hits.length === 0) unmatched.push(p)
    for (const t of hits) topics.add(t)
  }
  return { topics: [...topics], unmatched }
}

/** whether the patterns need the broker's topic list */
export function hasPatterns(patterns: readonly string[]): boolean {
  return patterns.some(isPattern)
}
