// Retrying an upstream: exponential backoff with full jitter in the upper half (attempt 1
// waits about minMs), and the wait itself, cut short when the run stops. Shared by the
// websocket sources and ozone-events.

export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  if (attempt <= 0) return 0
  const ceiling = Math.min(maxMs, minMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** resolves after ms, or at once when the signal aborts (never rejects) */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
