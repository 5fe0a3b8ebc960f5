// The writer lease's series: whether this instance writes.
import type { Registry } from 'prom-client'
import { gauge, metricsPart } from '../metrics/series.ts'

interface StandbyMetrics {
  /** where atkafka_writer is read on scrape (true: this instance is the writer; unset without --standby) */
  writer(isWriter: () => boolean): void
}

export const standbyMetrics = metricsPart((registry: Registry) => {
  let isWriter: (() => boolean) | undefined
  gauge(
    registry,
    'atkafka_writer',
    '1 while this instance writes, 0 while it waits as a standby or once it lost the role (--standby only)',
    () => (isWriter ? (isWriter() ? 1 : 0) : undefined),
  )
  const metrics: StandbyMetrics = {
    writer: (read) => {
      isWriter = read
    },
  }
  return metrics
})
