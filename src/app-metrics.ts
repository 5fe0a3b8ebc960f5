// Every part's series in one registry, and the one object the app hands out: each part takes
// only its own narrow interface from it (pipeline-metrics.ts, sink-metrics.ts, a source's
// entry, …). Every source's series are registered, whichever runs, so /metrics has a stable
// shape and docs/metrics.md lists them all. snapshot() reads every part's numbers at once (the
// status page and the progress line); /metrics reads the same numbers (metrics/series.ts).
import { collectDefaultMetrics, Registry } from 'prom-client'
import { cursorMetrics } from './cursor/cursor-metrics.ts'
import { identityMetrics } from './enrich/identity-metrics.ts'
import { pipelineMetrics } from './pipeline/pipeline-metrics.ts'
import { upstreamMetrics } from './pipeline/upstream-metrics.ts'
import { sinkMetrics } from './sink/sink-metrics.ts'
import { SOURCES, type SourcesMetrics } from './sources/catalog.ts'
import type { SnapshotOf } from './sources/source-plugin.ts'
import { standbyMetrics } from './standby/standby-metrics.ts'

/** one call per part, in the order their series appear on /metrics */
const parts = (registry: Registry) => ({
  pipeline: pipelineMetrics(registry),
  sink: sinkMetrics(registry),
  upstream: upstreamMetrics(registry),
  identity: identityMetrics(registry),
  cursor: cursorMetrics(registry),
  standby: standbyMetrics(registry),
})
type Parts = ReturnType<typeof parts>
type PartsOf = Parts[keyof Parts] | SourcesMetrics

type WithoutSnapshot<T> = Omit<T, 'snapshot'>

/** every part's numbers */
type MetricsSnapshot = SnapshotOf<Parts['pipeline']> &
  SnapshotOf<Parts['sink']> &
  SnapshotOf<Parts['upstream']> &
  SnapshotOf<SourcesMetrics>

export type Metrics = WithoutSnapshot<Parts['pipeline']> &
  WithoutSnapshot<Parts['sink']> &
  WithoutSnapshot<Parts['upstream']> &
  Parts['identity'] &
  Parts['cursor'] &
  Parts['standby'] &
  WithoutSnapshot<SourcesMetrics> & {
    readonly registry: Registry
    /** a copy of the current values */
    snapshot(): MetricsSnapshot
  }

export function createMetrics(registry = new Registry()): Metrics {
  // process_* and nodejs_* (heap, event loop lag, GC) next to ours
  collectDefaultMetrics({ register: registry })
  const all: PartsOf[] = [
    ...Object.values(parts(registry)),
    ...Object.values(SOURCES).map((s) => s.metrics(registry) as SourcesMetrics),
  ]
  const snapshots = all.flatMap((p) => ('snapshot' in p ? [p.snapshot.bind(p)] : []))
  return Object.assign({}, ...all, {
    registry,
    snapshot: () => Object.assign({}, ...snapshots.map((s) => s())) as MetricsSnapshot,
  }) as Metrics
}
