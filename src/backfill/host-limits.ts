// Politeness towards each PDS host: at most `concurrency` getRepo requests in flight per host,
// at most `ratePerSec` started per second (token bucket), and after a 429 or 503 nothing more to
// that host until its Retry-After (or RateLimit-Reset) has passed. Hosts are independent: a slow
// or throttling host holds up only the items of its own repos. The map of hosts is bounded:
// idle hosts are forgotten past `maxHosts`.
import { createTokenBucket, type TokenBucket } from '../identity/token-bucket.ts'

export interface HostLimitOptions {
  readonly concurrency: number
  readonly ratePerSec: number
  /** hosts remembered at once (idle ones are dropped first) */
  readonly maxHosts?: number
}

interface HostState {
  readonly host: string
  readonly inFlight: number
  readonly waiting: number
  /** ms epoch until which the host asked us to wait (0 when it did not) */
  readonly blockedUntil: number
}

interface Host {
  inFlight: number
  readonly queue: (() => void)[]
  blockedUntil: number
  readonly bucket: TokenBucket
}

export interface HostLimits {
  /** runs `fn` within the host's limits; the slot is released when it settles */
  run<T>(host: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T>
  /** the host said to come back after `ms` */
  backOff(host: string, ms: number): void
  states(): HostState[]
}

export function createHostLimits(options: HostLimitOptions, now: () => number = Date.now): HostLimits {
  const hosts = new Map<string, Host>()
  const maxHosts = options.maxHosts ?? 10_000
  const hostOf = (name: string): Host => {
    let h = hosts.get(name)
    if (h === undefined) {
      if (hosts.size >= maxHosts) {
        for (const [k, v] of hosts) {
          if (v.inFlight === 0 && v.queue.length === 0 && v.blockedUntil <= now()) {
            hosts.delete(k)
            if (hosts.size < maxHosts) break
          }
        }
      }
      h = { inFlight: 0, queue: [], blockedUntil: 0, bucket: createTokenBucket(options.ratePerSec) }
      hosts.set(name, h)
    }
    return h
  }
  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal.reason)
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  return {
    async run(name, signal, fn) {
      const h = hostOf(name)
      if (h.inFlight >= options.concurrency) {
        await new Promise<void>((resolve, reject) => {
          const go = () => {
            signal.removeEventListener('abort', onAbort)
            resolve()
          }
          const onAbort = () => {
            const i = h.queue.indexOf(go)
            if (i !== -1) h.queue.splice(i, 1)
            reject(signal.reason)
          }
          h.queue.push(go)
          signal.addEventListener('abort', onAbort, { once: true })
        })
      } else {
        h.inFlight++
      }
      // the slot is ours from here (a waiter is handed the slot without the count changing)
      try {
        for (let left = h.blockedUntil - now(); left > 0; left = h.blockedUntil - now())
          await wait(left, signal)
        await h.bucket.acquire(signal)
        return await fn()
      } finally {
        const next = h.queue.shift()
        if (next) next()
        else h.inFlight--
      }
    },
    backOff(name, ms) {
      const h = hostOf(name)
      h.blockedUntil = Math.max(h.blockedUntil, now() + ms)
    },
    states() {
      return [...hosts].map(([host, h]) => ({
        host,
        inFlight: h.inFlight,
        waiting: h.queue.length,
        blockedUntil: h.blockedUntil > now() ? h.blockedUntil : 0,
      }))
    },
  }
}

/**
 * How long a 429/503 asks to wait, in ms: `Retry-After` (seconds or an HTTP date), else
 * `RateLimit-Reset` (the atproto PDS sends epoch seconds), else undefined. Capped at `maxMs`.
 */
export function retryAfterMs(headers: Headers, nowMs: number, maxMs: number): number | undefined {
  const retryAfter = headers.get('retry-after')
  if (retryAfter !== null) {
    const seconds = Number(retryAfter.trim())
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(maxMs, seconds * 1000)
    const date = Date.parse(retryAfter)
    if (!Number.isNaN(date)) return Math.min(maxMs, Math.max(0, date - nowMs))
  }
  const reset = headers.get('ratelimit-reset')
  if (reset !== null) {
    const value = Number(reset.trim())
    if (Number.isFinite(value) && value >= 0) {
      // epoch seconds (the atproto PDS) or, per the IETF draft, seconds from now
      const ms = value > 1e9 ? value * 1000 - nowMs : value * 1000
      return Math.min(maxMs, Math.max(0, ms))
    }
  }
  return undefined
}
