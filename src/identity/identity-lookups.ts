// Cached, coalesced, rate-limited, time-bounded lookups of one kind of identity data per DID.
// get() answers synchronously from the cache (the hot path: no promise, no allocation), else returns the one in-flight lookup for that DID and kind. A lookup never
// rejects: it settles with an Outcome within `timeoutMs` (the deadline covers waiting for a
// rate-limit token too). invalidate() drops the cached value and detaches an in-flight lookup,
// whose answer then is handed to its waiters but not cached (it may predate the change).
// The deadline starts once the HTTP client is ready (`clientReady`): its start-up is not the
// lookup's. Waiting for it is bounded too (`clientStartupMs`): a client that never gets ready
// cannot hold events longer than that plus one deadline.
import { setTimeout as sleep } from 'node:timers/promises'
import { LRUCache } from 'lru-cache'
import type { FailureReason, LookupKind, LookupValues, Outcome } from './identity-types.ts'
import type { TokenBucket } from './token-bucket.ts'

interface LookupCacheConfig {
  readonly size: number
  readonly ttlMs: number
}

export interface LookupObserver {
  /**
   * a get() answered: status of the answer, and whether the cache or a lookup already in flight
   * answered it (cached) or it made its own request
   */
  request(kind: LookupKind, status: 'ok' | FailureReason, cached: boolean): void
}

export interface Lookups<K extends LookupKind> {
  readonly kind: K
  get(did: string): Outcome<LookupValues[K]> | Promise<Outcome<LookupValues[K]>>
  invalidate(did: string): void
  readonly size: number
  /** lookups currently in flight */
  readonly inFlight: number
}

export interface LookupsOptions<K extends LookupKind> {
  readonly kind: K
  readonly cache: LookupCacheConfig
  readonly timeoutMs: number
  /** the rate limit of the upstream serving this DID */
  readonly bucketFor: (did: string) => TokenBucket
  readonly fetch: (did: string, signal: AbortSignal) => Promise<LookupValues[K]>
  readonly observer: LookupObserver
  /** failure reason of a rejected fetch (default 'error'; a deadline hit is always 'timeout') */
  readonly reasonOf?: (err: unknown) => FailureReason
  /** undefined when the client can answer; else settles when it can (see worker-identity-client.ts) */
  readonly clientReady?: () => Promise<void> | undefined
  /** longest wait for clientReady before the deadline starts anyway (default 30 s) */
  readonly clientStartupMs?: number
}

const CLIENT_STARTUP_MS = 30_000

interface Flight<T> {
  readonly promise: Promise<Outcome<T>>
}

export function createLookups<K extends LookupKind>(options: LookupsOptions<K>): Lookups<K> {
  type T = LookupValues[K]
  const { kind, observer } = options
  const cache = new LRUCache<string, { ok: true; value: T }>({
    max: options.cache.size,
    ttl: options.cache.ttlMs,
    // entries past their TTL are dropped when read, or evicted by newer ones
    ttlAutopurge: false,
  })
  const flights = new Map<string, Flight<T>>()

  const run = async (did: string, flight: { current?: Flight<T> }): Promise<Outcome<T>> => {
    const starting = options.clientReady?.()
    if (starting !== undefined) {
      const bound = options.clientStartupMs ?? CLIENT_STARTUP_MS
      await Promise.race([starting, sleep(bound, undefined, { ref: false })])
    }
    const signal = AbortSignal.timeout(options.timeoutMs)
    let outcome: Outcome<T>
    try {
      await options.bucketFor(did).acquire(signal)
      outcome = { ok: true, value: await options.fetch(did, signal) }
    } catch (err) {
      outcome = { ok: false, reason: signal.aborted ? 'timeout' : (options.reasonOf?.(err) ?? 'error') }
    }
    // detached by invalidate(): hand the answer to who asked, keep it out of the cache
    if (flights.get(did) === flight.current) {
      flights.delete(did)
      if (outcome.ok) cache.set(did, outcome)
    }
    return outcome
  }

  return {
    kind,
    get(did) {
      const hit = cache.get(did)
      if (hit) {
        observer.request(kind, 'ok', true)
        return hit
      }
      let flight = flights.get(did)
      if (!flight) {
        const holder: { current?: Flight<T> } = {}
        flight = { promise: run(did, holder) }
        holder.current = flight
        flights.set(did, flight)
        void flight.promise.then((o) => observer.request(kind, o.ok ? 'ok' : o.reason, false))
      } else {
        // coalesced onto a lookup already under way: no request of its own
        void flight.promise.then((o) => observer.request(kind, o.ok ? 'ok' : o.reason, true))
      }
      return flight.promise
    },
    invalidate(did) {
      cache.delete(did)
      flights.delete(did)
    },
    get size() {
      return cache.size
    },
    get inFlight() {
      return flights.size
    },
  }
}
