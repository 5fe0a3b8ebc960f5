// Exponential backoff with full jitter in the upper half: attempt 1 waits about minMs.

export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  if (attempt <= 0) return 0
  const ceiling = Math.min(maxMs, minMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}
