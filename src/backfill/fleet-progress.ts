// The fleet's progress as one worker sees it from Kafka: the work topic's items (its end
// offsets) and how many the group has consumed (its committed offsets), sampled every few
// seconds; the rate is that of the last five minutes of samples and the ETA what is left at it.
export interface FleetSample {
  readonly atMs: number
  readonly items: number
  readonly consumed: number
}

export interface FleetProgress {
  readonly items: number
  readonly consumed: number
  readonly left: number
  /** items consumed per second over `seconds` (null until two samples) */
  readonly itemsPerSecond: number | null
  readonly seconds: number
  /** left / itemsPerSecond, whole seconds (null while nothing moves) */
  readonly etaSeconds: number | null
}

const WINDOW_MS = 5 * 60_000

/** the samples with `sample` added, those older than the window dropped (the oldest kept as the base) */
export function addFleetSample(samples: readonly FleetSample[], sample: FleetSample): FleetSample[] {
  const out = [...samples, sample]
  while (out.length > 2 && out[1]!.atMs <= sample.atMs - WINDOW_MS) out.shift()
  return out
}

export function fleetProgress(samples: readonly FleetSample[]): FleetProgress | null {
  const last = samples.at(-1)
  if (last === undefined) return null
  const first = samples[0]!
  const seconds = (last.atMs - first.atMs) / 1000
  const left = Math.max(0, last.items - last.consumed)
  const rate = seconds > 0 ? Math.max(0, last.consumed - first.consumed) / seconds : null
  return {
    items: last.items,
    consumed: last.consumed,
    left,
    itemsPerSecond: rate === null ? null : Math.round(rate * 100) / 100,
    seconds: Math.round(seconds),
    etaSeconds: left === 0 ? 0 : rate !== null && rate > 0 ? Math.round(left / rate) : null,
  }
}
