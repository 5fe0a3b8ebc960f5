// Events per second from counter samples: the status page's rate is over the last few seconds
// (one sample a second), the progress line's since the previous line. Pure.

export interface Sample {
  /** when it was taken (ms since the epoch) */
  readonly atMs: number
  /** events handled (read from the upstream and passed the filters) */
  readonly handled: number
  /** messages Kafka acknowledged */
  readonly produced: number
}

/**
 * The samples to keep after taking `sample`: those at most `spanMs` old, and always the newest
 * one older than that, so the rate covers the whole span once the run is that old.
 */
export function addSample(samples: readonly Sample[], sample: Sample, spanMs: number): Sample[] {
  const all = [...samples, sample]
  const cutoff = sample.atMs - spanMs
  let first = 0
  while (first + 1 < all.length && (all[first + 1] as Sample).atMs <= cutoff) first++
  return all.slice(first)
}

export interface Rates {
  /** seconds between the two samples */
  readonly seconds: number
  readonly handledPerSecond: number
  readonly producedPerSecond: number
}

/** Rates between an older and a newer sample; undefined when there is no older one or no time passed. */
export function ratesBetween(older: Sample | undefined, newer: Sample): Rates | undefined {
  if (older === undefined) return undefined
  const seconds = (newer.atMs - older.atMs) / 1000
  if (!(seconds > 0)) return undefined
  return {
    seconds,
    handledPerSecond: Math.max(0, newer.handled - older.handled) / seconds,
    producedPerSecond: Math.max(0, newer.produced - older.produced) / seconds,
  }
}
