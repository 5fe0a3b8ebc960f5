// source → filter → encode → sink → ack. Each delivery is acked only after Kafka holds every
// record made from it; a send that fails ends the run (nothing after it is acked). The
// in-flight window bounds what is read but not yet acknowledged.
import type { Logger } from 'pino'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { KafkaSink, OutboundRecord } from '../sink/kafka/kafka-sink.ts'
import type { InFlightWindow } from './in-flight-window.ts'
import type { Source } from './types.ts'

export interface PipelineStages {
  readonly filter: (event: AtprotoEvent) => boolean
  readonly encode: (event: AtprotoEvent) => OutboundRecord
  readonly sink: KafkaSink
  readonly window: InFlightWindow
  readonly metrics: Metrics
  readonly logger: Logger
}

export function actionName(event: AtprotoEvent): string {
  return event.kind === 'operation' ? `operation#${event.action}` : event.kind
}

/** Runs until the signal aborts (then drains what is in flight) or a send fails (then throws). */
export async function runPipeline(
  source: Source,
  stages: PipelineStages,
  signal: AbortSignal,
): Promise<void> {
  const { filter, encode, sink, window, metrics } = stages
  const failed = new AbortController()
  let failure: unknown
  const fail = (err: unknown) => {
    failure ??= err
    failed.abort()
  }
  const readSignal = AbortSignal.any([signal, failed.signal])
  try {
    for await (const delivery of source.deliveries(readSignal)) {
      const records: OutboundRecord[] = []
      let latest: string | undefined
      for (const event of delivery.events) {
        if (!filter(event)) {
          metrics.eventFiltered(event.kind)
          continue
        }
        metrics.eventHandled(actionName(event), event.kind === 'operation' ? event.collection : '')
        records.push(encode(event))
        latest = event.time
      }
      if (records.length === 0) {
        delivery.ack()
        continue
      }
      const n = records.length
      // keep only the ack: the delivery's events hold their whole upstream frame in memory
      const { ack } = delivery
      window.add(n)
      sink.send(records).then(
        () => {
          window.release(n)
          if (latest) metrics.eventTime(latest)
          ack()
        },
        (err: unknown) => {
          window.release(n)
          fail(err)
        },
      )
      if (window.full) await window.room()
      if (readSignal.aborted) break
    }
  } catch (err) {
    fail(err)
  }
  await window.drained()
  if (failure !== undefined) throw failure
}
