// A token bucket per upstream (PLC, did:web hosts, the API host): at most `ratePerSec`
// requests a second on average, bursts of `burst`. acquire() waits for a token or rejects
// when the signal aborts (the lookup's deadline), so a throttled lookup still ends in time.

export interface TokenBucket {
  /** resolves when a token was taken; rejects with the signal's reason when it aborts first */
  acquire(signal?: AbortSignal): Promise<void>
}

/** ratePerSec 0 = unlimited. `now` is injectable for tests (ms, monotonic). */
export function createTokenBucket(
  ratePerSec: number,
  burst = Math.max(1, Math.ceil(ratePerSec / 2)),
  now: () => number = () => performance.now(),
): TokenBucket {
  if (ratePerSec <= 0) return { acquire: async () => {} }
  let tokens = burst
  let last = now()
  const refill = () => {
    const t = now()
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * ratePerSec)
    last = t
  }
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted()
        refill()
        if (tokens >= 1) {
          tokens -= 1
          return
        }
        const waitMs = Math.max(1, ((1 - tokens) / ratePerSec) * 1000)
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(timer)
            reject(signal?.reason)
          }
          const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          }, waitMs)
          signal?.addEventListener('abort', onAbort, { once: true })
        })
      }
    },
  }
}
