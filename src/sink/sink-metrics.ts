// The sink's series: messages produced by outcome (the Go original's name) and by topic,
// messages routed back to the output topic, and (exactly-once) transactions ended.
import type { Registry } from 'prom-client'
import { type Count, counterSeries, countsBy, each, metricsPart } from '../metrics/series.ts'
import type { DropMetrics } from '../pipeline/pipeline-metrics.ts'

export type ProducedStatus = 'ok' | 'error' | 'dead_letter'

export interface SinkMetrics extends DropMetrics {
  eventsProduced(status: ProducedStatus, count: number): void
  /** messages Kafka holds (or holds in the open transaction) for one topic */
  topicProduced(topic: string, count: number): void
  /** messages sent to the output topic because their routed topic could not be had */
  routedToOutput(reason: 'topic_limit' | 'create_failed', count: number): void
  /** exactly-once: a transaction committed or aborted */
  transactionEnded(result: 'committed' | 'aborted'): void
}

export interface SinkSnapshot {
  readonly produced: Readonly<Record<ProducedStatus, number>>
  /** messages produced, by topic */
  readonly producedByTopic: Readonly<Record<string, number>>
}

export const sinkMetrics = metricsPart((registry: Registry) => {
  const produced = counterSeries(registry, {
    name: 'atkafka_produced_events',
    help: 'Kafka messages produced, by outcome (ok, error, dead_letter)',
    labelNames: ['status'],
    preset: each(['ok', 'error', 'dead_letter']),
  })
  const transactions = counterSeries(registry, {
    name: 'atkafka_transactions_total',
    help: 'Exactly-once mode: transactions ended, by result (committed, aborted)',
    labelNames: ['result'],
    preset: each(['committed', 'aborted']),
  })
  // topics: the output, dead-letter and routed ones (bounded by --topic-routes-max-topics)
  const topicProduced = counterSeries(registry, {
    name: 'atkafka_topic_produced_events_total',
    help: 'Kafka messages produced (acknowledged, or staged in the open transaction), by topic',
    labelNames: ['topic'],
  })
  const routedToOutput = counterSeries(registry, {
    name: 'atkafka_routed_to_output_total',
    help: 'Messages --topic-routes sent to another topic that went to the output topic instead, by reason (topic_limit: --topic-routes-max-topics reached; create_failed: Kafka refused to create the topic)',
    labelNames: ['reason'],
    preset: each(['topic_limit', 'create_failed']),
  })
  const producedBy = {
    ok: produced.child('ok'),
    error: produced.child('error'),
    dead_letter: produced.child('dead_letter'),
  }
  const producedTo = new Map<string, Count>()
  const metrics: Omit<SinkMetrics, 'eventDropped'> & { snapshot(): SinkSnapshot } = {
    eventsProduced: (status, count) => {
      producedBy[status].value += count
    },
    topicProduced: (topic, count) => {
      let c = producedTo.get(topic)
      if (!c) {
        c = topicProduced.child(topic)
        producedTo.set(topic, c)
      }
      c.value += count
    },
    routedToOutput: (reason, count) => {
      routedToOutput.child(reason).value += count
    },
    transactionEnded: (result) => {
      transactions.child(result).value++
    },
    snapshot: () => ({
      produced: countsBy(produced, 'status') as Record<ProducedStatus, number>,
      producedByTopic: countsBy(topicProduced, 'topic'),
    }),
  }
  return metrics
})
