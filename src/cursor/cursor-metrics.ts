// The cursor's series: (exactly-once) the position committed with the last transaction.
import type { Registry } from 'prom-client'
import { gauge, metricsPart } from '../metrics/series.ts'

export interface CursorMetrics {
  /** exactly-once: the cursor (as a number: the relay seq) committed with the last transaction */
  cursorCommitted(position: number): void
}

export const cursorMetrics = metricsPart((registry: Registry) => {
  let committed: number | undefined
  gauge(
    registry,
    'atkafka_committed_cursor_seq',
    'Exactly-once mode: relay seq of the cursor committed with the last transaction',
    () => committed,
  )
  const metrics: CursorMetrics = {
    cursorCommitted: (position) => {
      committed = position
    },
  }
  return metrics
})
