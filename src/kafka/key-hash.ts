// The Java client's partitioning hash (murmur2 of the key's UTF-8 bytes, positive), as
// @platformatic/kafka's compatibilityPartitioner computes it, once per key: keys are DIDs, whose
// records come in runs (a backfilled repo, an account's ops), and murmur2 in JS costs about a
// microsecond a key plus a Buffer of it. Bounded: past MAX_KEYS the memo starts over.
import { compatibilityPartitioner } from '@platformatic/kafka'

const MAX_KEYS = 8192
const hashes = new Map<string, number>()

/** murmur2 of `key` (before the modulo by the partition count) */
export function keyHash(key: string): number {
  let h = hashes.get(key)
  if (h === undefined) {
    if (hashes.size >= MAX_KEYS) hashes.clear()
    h = compatibilityPartitioner(undefined as never, Buffer.from(key))
    hashes.set(key, h)
  }
  return h
}

/** the producer's partitioner: compatibilityPartitioner's answer, from the memo for string keys */
export const keyPartitioner: typeof compatibilityPartitioner = (message, key) =>
  typeof message.key === 'string' ? keyHash(message.key) : compatibilityPartitioner(message, key)
