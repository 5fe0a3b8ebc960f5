// In front of the Kafka sink when --topic-routes has {collection} templates: a record bound for
// a topic that does not exist yet waits while the topic is created (like the output topic), and
// every send after it waits its turn, so no record overtakes an earlier one. The templates may
// make at most `maxTemplateTopics` topics (collections are upstream input: anyone can write a
// record in a new one); past that, and when Kafka refuses to create one, the records go to the
// default topic, and keep going there for the rest of the run (counted, logged once per topic).
import type { OutboundRecord, Sink } from '../pipeline/types.ts'

export type FallbackReason = 'topic_limit' | 'create_failed'

export interface TopicGateOptions {
  /** where records go when their topic cannot be had: the output topic */
  readonly defaultTopic: string
  /** topics that exist (created at start, or found there) */
  readonly ready: Iterable<string>
  /** of the ready topics, those a template made (they count toward the limit) */
  readonly templateTopicsAtStart: number
  readonly maxTemplateTopics: number
  /** creates the topic like the output topic; rejects when Kafka refuses it */
  readonly create: (topic: string) => Promise<void>
  /** a topic the records of which go to the default topic from now on */
  readonly onFallback: (topic: string, reason: FallbackReason, err?: unknown) => void
  /** records sent to the default topic instead of their own, by why */
  readonly onRerouted: (reason: FallbackReason, count: number) => void
}

export function createTopicGate(inner: Sink, options: TopicGateOptions): Sink {
  const ready = new Set(options.ready)
  const fallback = new Map<string, FallbackReason>()
  let made = options.templateTopicsAtStart
  // sends waiting behind a topic creation, in call order; none: the fast path
  let waiting = 0
  let turn: Promise<void> = Promise.resolve()

  const allReady = (records: readonly OutboundRecord[]) => {
    for (const r of records) if (!ready.has(r.topic)) return false
    return true
  }

  const settle = async (topic: string) => {
    if (ready.has(topic) || fallback.has(topic)) return
    if (made >= options.maxTemplateTopics) {
      fallback.set(topic, 'topic_limit')
      options.onFallback(topic, 'topic_limit')
      return
    }
    made++
    try {
      await options.create(topic)
      ready.add(topic)
    } catch (err) {
      made--
      fallback.set(topic, 'create_failed')
      options.onFallback(topic, 'create_failed', err)
    }
  }

  /** the records with every topic settled: fallback topics replaced by the default */
  const admit = async (records: readonly OutboundRecord[]) => {
    for (const r of records) await settle(r.topic)
    const rerouted = { topic_limit: 0, create_failed: 0 }
    const out = records.map((r) => {
      const reason = fallback.get(r.topic)
      if (reason === undefined) return r
      rerouted[reason]++
      return { ...r, topic: options.defaultTopic }
    })
    for (const reason of ['topic_limit', 'create_failed'] as const) {
      if (rerouted[reason] > 0) options.onRerouted(reason, rerouted[reason])
    }
    return out
  }

  return {
    ...(inner.ready ? { ready: () => inner.ready!() } : {}),
    send(records) {
      if (waiting === 0 && allReady(records)) return inner.send(records)
      waiting++
      let sent!: Promise<void>
      const mine = turn.then(async () => {
        try {
          sent = inner.send(await admit(records))
        } finally {
          waiting--
        }
      })
      turn = mine
      // the caller waits for Kafka; the next send waits only for this one to be handed on
      return mine.then(() => sent)
    },
    async close() {
      await turn
      await inner.close()
    },
  }
}
