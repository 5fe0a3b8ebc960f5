// `--topic-routes` at run time: the event → topic function over the parsed spec
// (topics/topic-routes.ts). Pure.
import { type TopicRoutes, type TopicTarget, topicNameProblem } from '../output/topic-routes.ts'

/** the events the router reads (structural, so every event kind fits) */
type RoutedEvent = { readonly kind: string; readonly collection?: string }

export interface TopicRouterOptions {
  /** where events no route selects go: the output topic */
  readonly defaultTopic: string
  /** topics no template may produce (the dead-letter and cursor topics): such events go to the default */
  readonly reserved?: readonly string[]
}

// distinct collections remembered; past it the memo starts over (collections are upstream input)
const MEMO_LIMIT = 10_000

/**
 * The event → topic function. Record operations: the most specific collection route, else `*`,
 * else the default. Other kinds: their `#kind` route, else the default. A templated name that
 * Kafka would refuse (too long, a collection with other characters) or that is reserved gives
 * the default topic.
 */
export function createTopicRouter(
  routes: TopicRoutes | undefined,
  options: TopicRouterOptions,
): (event: RoutedEvent) => string {
  const { defaultTopic } = options
  if (!routes) return () => defaultTopic
  const reserved = new Set(options.reserved ?? [])
  const byKind = new Map<string, string>(routes.kinds)
  const memo = new Map<string, string>()

  const resolve = (target: TopicTarget | undefined, collection: string): string => {
    if (!target) return defaultTopic
    if (target.kind === 'literal') return target.topic
    const name = target.prefix + collection + target.suffix
    return topicNameProblem(name) || reserved.has(name) ? defaultTopic : name
  }

  const routeCollection = (collection: string): string => {
    let target = routes.collections.get(collection)
    if (!target) {
      // the longest namespace of the collection that has a route
      for (let dot = collection.lastIndexOf('.'); dot > 0; dot = collection.lastIndexOf('.', dot - 1)) {
        target = routes.collections.get(collection.slice(0, dot))
        if (target) break
      }
    }
    return resolve(target ?? routes.anyCollection, collection)
  }

  return (event) => {
    if (event.kind !== 'operation') return byKind.get(event.kind) ?? defaultTopic
    const collection = event.collection ?? ''
    let topic = memo.get(collection)
    if (topic === undefined) {
      topic = routeCollection(collection)
      if (memo.size >= MEMO_LIMIT) memo.clear()
      memo.set(collection, topic)
    }
    return topic
  }
}
