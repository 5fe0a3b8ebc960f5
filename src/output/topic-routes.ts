// `--topic-routes`: the spec's parsing and validation (a bad spec is a configuration error at
// start) and the rules of Kafka topic names. Pure, and below config/ (which parses the option
// with it); the event → topic function built from it is sink/topic-router.ts.
//
// The spec is a comma-separated list of `selector=topic`:
//   - a collection pattern, as --matched-collections reads them: `app.bsky.feed.post`, or a
//     namespace `app.bsky.feed.*` (same as `app.bsky.feed`): the most specific match wins,
//     whatever the order of the entries;
//   - `*`: every collection no other pattern matched;
//   - `#account`, `#identity`, `#sync`, `#info`: events of that kind.
// A collection route's topic may hold `{collection}` (e.g. `*=atproto.{collection}`): one topic
// per collection, created when its first event comes (see topic-gate.ts). Events no entry
// selects go to the output topic; so does an event whose templated name Kafka would refuse.
import { validateCollectionPattern } from '../filters/collection-matcher.ts'

/** the event kinds a route can select; record operations are routed by collection */
const ROUTABLE_KINDS = ['account', 'identity', 'sync', 'info', 'label'] as const
type RoutableKind = (typeof ROUTABLE_KINDS)[number]

const COLLECTION_PLACEHOLDER = '{collection}'

/** what Kafka accepts as a topic name (kafka.common.internals.Topic) */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/
const MAX_TOPIC_LENGTH = 249

/** a topic that is either fixed or made from the collection: prefix + collection + suffix */
export type TopicTarget =
  | { readonly kind: 'literal'; readonly topic: string }
  | { readonly kind: 'template'; readonly prefix: string; readonly suffix: string }

export interface TopicRoutes {
  /** the spec's entries as given, e.g. `app.bsky.feed.post=posts` */
  readonly entries: readonly string[]
  /** collection namespace (a pattern without `.*`) → its topic */
  readonly collections: ReadonlyMap<string, TopicTarget>
  /** `*` */
  readonly anyCollection?: TopicTarget
  readonly kinds: ReadonlyMap<RoutableKind, string>
  /** every fixed topic named in the spec, in order of first mention */
  readonly literalTopics: readonly string[]
  /** every `{collection}` template in the spec */
  readonly templates: readonly Extract<TopicTarget, { kind: 'template' }>[]
}

/** A problem with a topic name as Kafka would see it, or undefined when Kafka accepts it. */
export function topicNameProblem(name: string): string | undefined {
  if (!TOPIC_NAME.test(name)) {
    return `invalid topic name ${JSON.stringify(name)}: Kafka accepts 1-249 characters of a-z A-Z 0-9 . _ -`
  }
  if (name === '.' || name === '..')
    return `invalid topic name ${JSON.stringify(name)}: "." and ".." are refused`
  return undefined
}

/**
 * Kafka refuses a topic whose name differs from another's only in `.` versus `_` (their metric
 * names would collide). The pairs among `names` that would be refused, as messages.
 */
export function topicCollisions(names: readonly string[]): string[] {
  const seen = new Map<string, string>()
  const problems: string[] = []
  for (const name of new Set(names)) {
    const folded = name.replaceAll('.', '_')
    const other = seen.get(folded)
    if (other !== undefined) {
      problems.push(
        `topics ${JSON.stringify(other)} and ${JSON.stringify(name)} collide: Kafka refuses names that differ only in "." and "_"`,
      )
    } else seen.set(folded, name)
  }
  return problems
}

function parseTarget(raw: string, selector: string, isKind: boolean): TopicTarget | string {
  const at = raw.indexOf(COLLECTION_PLACEHOLDER)
  if (at < 0) {
    if (raw.includes('{') || raw.includes('}')) {
      return `route ${selector}: unknown placeholder in ${JSON.stringify(raw)}; the only one is ${COLLECTION_PLACEHOLDER}`
    }
    const problem = topicNameProblem(raw)
    return problem ? `route ${selector}: ${problem}` : { kind: 'literal', topic: raw }
  }
  if (isKind)
    return `route ${selector}: ${COLLECTION_PLACEHOLDER} is for collection routes; ${selector} needs a fixed topic`
  const prefix = raw.slice(0, at)
  const suffix = raw.slice(at + COLLECTION_PLACEHOLDER.length)
  if (suffix.includes(COLLECTION_PLACEHOLDER)) {
    return `route ${selector}: ${COLLECTION_PLACEHOLDER} may appear once in ${JSON.stringify(raw)}`
  }
  // the fixed parts must be legal, and leave room for a collection
  const fixed = prefix + suffix
  if (fixed !== '' && !/^[a-zA-Z0-9._-]+$/.test(fixed)) {
    return `route ${selector}: invalid topic template ${JSON.stringify(raw)}: outside ${COLLECTION_PLACEHOLDER}, Kafka accepts only a-z A-Z 0-9 . _ -`
  }
  if (fixed.length > MAX_TOPIC_LENGTH - 16) {
    return `route ${selector}: topic template ${JSON.stringify(raw)} leaves no room for a collection in Kafka's 249 characters`
  }
  return { kind: 'template', prefix, suffix }
}

/**
 * Parses the entries (already split at commas). Every problem is reported, not only the first;
 * `routes` is set only when there is none.
 */
export function parseTopicRoutes(entries: readonly string[]): { routes?: TopicRoutes; problems: string[] } {
  const problems: string[] = []
  const collections = new Map<string, TopicTarget>()
  const kinds = new Map<RoutableKind, string>()
  let anyCollection: TopicTarget | undefined
  const literal: string[] = []
  const templates: Extract<TopicTarget, { kind: 'template' }>[] = []
  const given: string[] = []
  for (const raw of entries) {
    const entry = raw.trim()
    if (entry === '') continue
    given.push(entry)
    const eq = entry.indexOf('=')
    if (eq < 0) {
      problems.push(`route ${JSON.stringify(entry)}: expected selector=topic, e.g. app.bsky.feed.post=posts`)
      continue
    }
    const selector = entry.slice(0, eq).trim()
    const target = parseTarget(entry.slice(eq + 1).trim(), selector, selector.startsWith('#'))
    if (typeof target === 'string') {
      problems.push(target)
      continue
    }
    if (target.kind === 'literal') literal.push(target.topic)
    else templates.push(target)
    if (selector.startsWith('#')) {
      const kind = selector.slice(1)
      if (!(ROUTABLE_KINDS as readonly string[]).includes(kind)) {
        problems.push(
          `route ${selector}: unknown event kind; kinds are ${ROUTABLE_KINDS.map((k) => `#${k}`).join(', ')} (record operations are routed by collection)`,
        )
      } else if (kinds.has(kind as RoutableKind)) problems.push(`route ${selector}: given twice`)
      else if (target.kind === 'literal') kinds.set(kind as RoutableKind, target.topic)
      continue
    }
    if (selector === '*') {
      if (anyCollection) problems.push('route *: given twice')
      anyCollection = target
      continue
    }
    const problem = validateCollectionPattern(selector)
    if (problem) {
      problems.push(`route ${selector}: ${problem}`)
      continue
    }
    const namespace = selector.endsWith('.*') ? selector.slice(0, -2) : selector
    if (collections.has(namespace)) problems.push(`route ${selector}: ${namespace} is routed twice`)
    collections.set(namespace, target)
  }
  if (problems.length > 0) return { problems }
  return {
    problems,
    routes: {
      entries: given,
      collections,
      ...(anyCollection ? { anyCollection } : {}),
      kinds,
      literalTopics: [...new Set(literal)],
      templates,
    },
  }
}

/** the template's topics are those that start with its prefix and end with its suffix */
export function matchesTemplate(
  topic: string,
  template: Extract<TopicTarget, { kind: 'template' }>,
): boolean {
  return (
    topic.length > template.prefix.length + template.suffix.length &&
    topic.startsWith(template.prefix) &&
    topic.endsWith(template.suffix)
  )
}
