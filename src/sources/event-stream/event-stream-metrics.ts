// An event stream's position: the highest seq received, and the seq at or below which Kafka
// holds everything (the cursor). The relay's, and any other stream's with a seq cursor.
import type { Registry } from 'prom-client'
import { gauge, metricsPart } from '../../metrics/series.ts'

export interface EventStreamMetrics {
  upstreamSeq(seq: number): void
  cursorSeq(seq: number): void
}

interface EventStreamSnapshot {
  /** highest upstream seq received (undefined before the first) */
  readonly upstreamSeq: number | undefined
  /** seq at or below which Kafka holds every event */
  readonly cursorSeq: number | undefined
}

export const eventStreamMetrics = metricsPart((registry: Registry) => {
  const state = { upstreamSeq: undefined as number | undefined, cursorSeq: undefined as number | undefined }
  gauge(registry, 'atkafka_upstream_seq', 'Highest upstream seq received', () => state.upstreamSeq)
  gauge(
    registry,
    'atkafka_cursor_seq',
    'Upstream seq at or below which every event is held by Kafka',
    () => state.cursorSeq,
  )
  const metrics: EventStreamMetrics & { snapshot(): EventStreamSnapshot } = {
    upstreamSeq: (seq) => {
      state.upstreamSeq = seq
    },
    cursorSeq: (seq) => {
      state.cursorSeq = seq
    },
    snapshot: () => ({ upstreamSeq: state.upstreamSeq, cursorSeq: state.cursorSeq }),
  }
  return metrics
})
