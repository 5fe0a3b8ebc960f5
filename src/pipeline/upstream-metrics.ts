// What every source reports of its upstream (the Source port, seen from outside): its
// connection (state, reconnects), the frames it received by type, and its error frames and
// info messages by name.
import type { Registry } from 'prom-client'
import { type Count, counterSeries, countsBy, gaugeSeries, metricsPart, total } from '../metrics/series.ts'
import type { DropMetrics } from './pipeline-metrics.ts'

export type UpstreamState = 'connecting' | 'connected' | 'disconnected'

export interface UpstreamMetrics extends DropMetrics {
  /** a frame (message) received, by type (`#commit`, a Tap event type, …) */
  upstreamFrame(type: string): void
  upstreamError(name: string): void
  reconnected(source: string): void
  upstreamState(source: string, state: UpstreamState): void
}

export interface UpstreamSnapshot {
  /** by error / info name */
  readonly upstreamErrors: Readonly<Record<string, number>>
  readonly upstreamState: UpstreamState
  readonly reconnects: number
}

export const upstreamMetrics = metricsPart((registry: Registry) => {
  const frames = counterSeries(registry, {
    name: 'atkafka_upstream_frames_total',
    help: 'Frames received from the upstream, by type',
    labelNames: ['type'],
  })
  const upstreamErrors = counterSeries(registry, {
    name: 'atkafka_upstream_errors_total',
    help: 'Error frames and info messages from the upstream, by name (FutureCursor, ConsumerTooSlow, OutdatedCursor, …)',
    labelNames: ['name'],
  })
  const reconnects = counterSeries(registry, {
    name: 'atkafka_reconnects_total',
    help: 'Reconnections to the upstream',
    labelNames: ['source'],
  })
  // one per frame on the hot path: each type's count looked up once (types are a closed set per source)
  const frameCounts = new Map<string, Count>()
  const state = { upstreamState: 'connecting' as UpstreamState, upstreamSource: '' }
  gaugeSeries(
    registry,
    {
      name: 'atkafka_upstream_connected',
      help: '1 while the upstream socket is open',
      labelNames: ['source'],
    },
    () =>
      state.upstreamSource
        ? [[{ source: state.upstreamSource }, state.upstreamState === 'connected' ? 1 : 0]]
        : [],
  )
  const metrics: Omit<UpstreamMetrics, 'eventDropped'> & { snapshot(): UpstreamSnapshot } = {
    upstreamFrame: (type) => {
      let count = frameCounts.get(type)
      if (count === undefined) {
        count = frames.child(type)
        frameCounts.set(type, count)
      }
      count.value++
    },
    upstreamError: (name) => {
      upstreamErrors.child(name).value++
    },
    reconnected: (source) => {
      reconnects.child(source).value++
    },
    upstreamState: (source, upstreamState) => {
      state.upstreamSource = source
      state.upstreamState = upstreamState
    },
    snapshot: () => ({
      upstreamErrors: countsBy(upstreamErrors, 'name'),
      upstreamState: state.upstreamState,
      reconnects: total(reconnects),
    }),
  }
  return metrics
})
