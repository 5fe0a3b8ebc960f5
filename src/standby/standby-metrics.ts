// The writer lease's series: whether this instance writes.
import type { Registry } from 'prom-client'
import { gauge, metricsPart } from '../metrics/series.ts'

interface StandbyMetrics {
  /** standby: 1 while this instance is the writer, 0 while it waits */
  writer(active: boolean): void
}

export const standbyMetrics = metricsPart((registry: Registry) => {
  let writer: number | undefined
  gauge(
    registry,
    'atkafka_writer',
    '1 while this instance writes, 0 while it waits as a standby',
    () => writer,
  )
  const metrics: StandbyMetrics = {
    writer: (active) => {
      writer = active ? 1 : 0
    },
  }
  return metrics
})
