// The Kafka error ids inside a client error: @platformatic/kafka nests the broker's per-topic or
// per-partition errors (each with an `apiId` such as MESSAGE_TOO_LARGE) inside aggregate errors
// and causes.

/** the first Kafka error id in the error tree for which `wanted` returns a value */
export function findKafkaError<T>(
  err: unknown,
  wanted: (apiId: string) => T | undefined,
  depth = 0,
): T | undefined {
  if (!err || typeof err !== 'object' || depth > 8) return undefined
  const e = err as { apiId?: unknown; errors?: unknown; cause?: unknown }
  if (typeof e.apiId === 'string') {
    const found = wanted(e.apiId)
    if (found !== undefined) return found
  }
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = findKafkaError(inner, wanted, depth + 1)
      if (found !== undefined) return found
    }
  }
  return findKafkaError(e.cause, wanted, depth + 1)
}
