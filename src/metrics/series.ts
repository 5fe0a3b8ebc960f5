// The one way atkafka keeps a Prometheus series: counts and values live in plain numbers,
// updated on the hot path without a prom-client call (no label hashing), and are handed to
// prom-client when it is scraped. The status page's snapshot reads the same numbers, so
// /metrics and /status.json can never disagree.
import { Counter, Gauge, type Registry } from 'prom-client'

export interface Count {
  readonly labels: Readonly<Record<string, string>>
  value: number
}

export interface CounterSeries {
  /** the count of one label set (in labelNames order), created at 0 on first use */
  child(...labelValues: string[]): Count
  /** every label set counted so far */
  children(): Iterable<Count>
}

/** `preset`: label sets that exist at zero from the start (closed sets) */
export function counterSeries(
  registry: Registry,
  spec: {
    name: string
    help: string
    labelNames?: readonly string[]
    preset?: readonly (readonly string[])[]
  },
): CounterSeries {
  const labelNames = spec.labelNames ?? []
  const counts = new Map<string, Count>()
  const child = (...values: string[]): Count => {
    const key = values.join('\u0000')
    let count = counts.get(key)
    if (!count) {
      count = { labels: Object.fromEntries(labelNames.map((l, i) => [l, values[i] ?? ''])), value: 0 }
      counts.set(key, count)
    }
    return count
  }
  for (const values of spec.preset ?? []) child(...values)
  if (labelNames.length === 0) child()
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const c of counts.values()) this.inc(c.labels, c.value)
    },
  })
  return { child, children: () => counts.values() }
}

/**
 * A gauge read when scraped; `read` gives each label set's value (undefined: not known yet, and
 * then the series is absent from /metrics rather than 0, which would read as a value).
 */
export function gaugeSeries(
  registry: Registry,
  spec: { name: string; help: string; labelNames?: readonly string[] },
  read: () => Iterable<readonly [Readonly<Record<string, string>>, number | undefined]>,
): void {
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset()
      // prom-client's reset() gives a gauge without labels a 0 sample: leave it out until known
      if ((spec.labelNames ?? []).length === 0) this.remove()
      for (const [labels, value] of read())
        if (value !== undefined && Number.isFinite(value)) this.set(labels, value)
    },
  })
}

/** the counts of one label of a series, summed over the others */
export function countsBy(series: CounterSeries, label: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of series.children()) {
    const key = c.labels[label] ?? ''
    out[key] = (out[key] ?? 0) + c.value
  }
  return out
}

export function total(series: CounterSeries): number {
  let sum = 0
  for (const c of series.children()) sum += c.value
  return sum
}

/**
 * A part's series, registered once per registry whoever asks first (two sources may share a
 * part, e.g. the event-stream gauges): each part of atkafka declares its metrics this way, with
 * the narrow interface its code calls.
 */
export function metricsPart<T>(build: (registry: Registry) => T): (registry: Registry) => T {
  const made = new WeakMap<Registry, T>()
  return (registry) => {
    let part = made.get(registry)
    if (part === undefined) {
      part = build(registry)
      made.set(registry, part)
    }
    return part
  }
}

/** `label` values as preset label sets of one label */
export const each = (values: readonly string[]): string[][] => values.map((v) => [v])

/** a gauge of one value, read when scraped */
export function gauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  gaugeSeries(registry, { name, help }, () => [[{}, read()]])
}
