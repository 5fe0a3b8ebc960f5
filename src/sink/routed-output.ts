// What the pipeline writes and where, from the config: the value format (standard, Osprey,
// Jetstream), the record headers, the topic of each event (--topic-routes), the topics to
// create at start, and the sink in front of Kafka's that creates {collection} topics on first
// use and counts messages per topic. The composition root (app.ts) wires these in.
import type { Logger } from 'pino'
import type { SharedConfig } from '../config/schema.ts'
import { encodeEvent } from '../encode/encode-event.ts'
import type { ActionIds } from '../encode/event-action-id.ts'
import { createMicrosClock, isJetstreamEvent } from '../encode/jetstream-event.ts'
import { createHeaderBuilder } from '../encode/record-headers.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { RawJson } from '../events/raw-json.ts'
import { matchesTemplate } from '../output/topic-routes.ts'
import type { OutboundRecord, Sink } from '../pipeline/types.ts'
import { createDeadLetterRecord } from './kafka/dead-letter.ts'
import type { SinkMetrics } from './sink-metrics.ts'
import { createTopicGate } from './topic-gate.ts'
import { createTopicRouter } from './topic-router.ts'

/** what a dead-lettered label's record may weigh when the command has no --max-message-bytes */
const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000

export interface RoutedOutput {
  /** the output topic, then every fixed routed topic: created at start like the output topic */
  readonly topics: readonly string[]
  /** false for events the format has no shape for (Jetstream v1: sync, info); they are filtered */
  readonly keeps: (event: AtprotoEvent) => boolean
  readonly encode: (event: AtprotoEvent, metadata?: RawJson) => OutboundRecord
  /**
   * The sink the pipeline sends to: `sink` with messages counted per topic and, when routes
   * have {collection} templates, topics created on first use. `existing`: the broker's topics
   * at start; `create` makes one topic like the output topic.
   */
  wrap(sink: Sink, existing: readonly string[], create: (topic: string) => Promise<void>): Sink
}

/** the output options every source takes; routes (firehose sources) and the cursor topic (resumable ones) where it has them */
type OutputConfig = Pick<
  SharedConfig<'all' | 'stream'>,
  'outputTopic' | 'outputFormat' | 'recordHeaders' | 'deadLetterTopic'
> &
  Partial<Pick<SharedConfig<'all' | 'stream'>, 'maxMessageBytes'>> &
  Partial<Pick<SharedConfig<'firehose' | 'cursor'>, 'topicRoutes' | 'topicRoutesMaxTopics' | 'cursorTopic'>>

export function createRoutedOutput(
  config: OutputConfig,
  deps: { snowflake: ActionIds; metrics: SinkMetrics; logger: Logger },
): RoutedOutput {
  const { metrics, logger, snowflake } = deps
  const format = config.outputFormat
  const clock = format === 'jetstream' ? createMicrosClock() : undefined
  const routes = config.topicRoutes
  const route = createTopicRouter(routes, {
    defaultTopic: config.outputTopic,
    reserved:
      config.cursorTopic === undefined
        ? [config.deadLetterTopic]
        : [config.deadLetterTopic, config.cursorTopic],
  })
  const headers =
    config.recordHeaders === 'all' || config.recordHeaders.length > 0
      ? createHeaderBuilder(format, config.recordHeaders)
      : undefined
  const templates = routes?.templates ?? []

  return {
    topics: [...new Set([config.outputTopic, ...(routes?.literalTopics ?? [])])],
    keeps: format === 'jetstream' ? isJetstreamEvent : () => true,
    encode(event, metadata) {
      const { key, value } = encodeEvent(event, { format, snowflake, metadata, clock })
      const topic = route(event)
      const record = headers ? { topic, key, value, headers: headers(event) } : { topic, key, value }
      // a label verification refused: to the dead-letter topic with the reason, never to its topic
      if (event.kind === 'label' && event.refused) {
        const { reason, detail } = event.refused
        return createDeadLetterRecord(
          record,
          config.deadLetterTopic,
          reason,
          detail,
          config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
        )
      }
      return record
    },
    wrap(sink, existing, create) {
      const counted = countByTopic(sink, metrics)
      if (templates.length === 0) return counted
      const made = existing.filter((t) => templates.some((tpl) => matchesTemplate(t, tpl)))
      return createTopicGate(counted, {
        defaultTopic: config.outputTopic,
        ready: [config.outputTopic, ...(routes?.literalTopics ?? []), ...made],
        templateTopicsAtStart: made.length,
        // templates come with --topic-routes, and its cap with it
        maxTemplateTopics: config.topicRoutesMaxTopics ?? 0,
        create: async (topic) => {
          await create(topic)
          logger.info({ topic }, 'routed topic created')
        },
        onFallback: (topic, reason, err) => {
          const why =
            reason === 'topic_limit'
              ? `--topic-routes-max-topics (${config.topicRoutesMaxTopics}) reached`
              : 'Kafka refused to create it'
          logger.warn(
            { topic, reason, err },
            `routed topic unavailable (${why}); its events go to the output topic`,
          )
        },
        onRerouted: (reason, count) => metrics.routedToOutput(reason, count),
      })
    },
  }
}

/** messages per topic, counted when the sink has them */
function countByTopic(sink: Sink, metrics: SinkMetrics): Sink {
  return {
    ...(sink.ready ? { ready: () => sink.ready!() } : {}),
    send(records) {
      return sink.send(records).then(() => {
        let topic = records[0]?.topic
        let n = 0
        for (const r of records) {
          if (r.topic !== topic) {
            if (topic !== undefined) metrics.topicProduced(topic, n)
            topic = r.topic
            n = 0
          }
          n++
        }
        if (topic !== undefined && n > 0) metrics.topicProduced(topic, n)
      })
    },
    close: () => sink.close(),
  }
}
