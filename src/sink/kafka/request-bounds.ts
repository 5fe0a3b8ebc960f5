// How many queued records make the next produce request, so that it stays within what brokers
// accept: at most --batch-size records, --max-request-bytes in all (the broker's
// socket.request.max.bytes is 100 MiB) and --max-batch-bytes per partition (a partition's
// records travel as one record batch, which the broker refuses past message.max.bytes, about
// 1 MiB by default), in the spirit of the Java producer's max.request.size and batch.size.
// A record larger than a batch goes alone in its partition's batch (as in the Java producer),
// and the first record of a request always goes: nothing waits forever. Pure: the sink gives
// each record's size and partition.

export interface RequestLimits {
  /** records per request (--batch-size) */
  readonly records: number
  /** bytes per request (--max-request-bytes) */
  readonly requestBytes: number
  /** bytes per partition batch (--max-batch-bytes) */
  readonly partitionBytes: number
}

/**
 * what a record adds to a produce request besides its key and value: its framing in the record
 * batch (length, attributes, deltas and lengths as varints, ~10-20 bytes) with room to spare,
 * and a share of the batch header (61 bytes per partition)
 */
export const RECORD_OVERHEAD_BYTES = 64

export interface Measured {
  /** bytes in the request: key, value and RECORD_OVERHEAD_BYTES */
  readonly bytes: number
  /** "topic:partition" */
  readonly partition: string
}

/** the length of the longest prefix of `items` (at least 1 when there is one) within `limits` */
export function requestLength<T>(
  items: readonly T[],
  limits: RequestLimits,
  measure: (item: T) => Measured,
): number {
  const max = Math.min(items.length, limits.records)
  const perPartition = new Map<string, number>()
  let total = 0
  let n = 0
  for (; n < max; n++) {
    const { bytes, partition } = measure(items[n] as T)
    const inPartition = perPartition.get(partition) ?? 0
    if (n > 0 && total + bytes > limits.requestBytes) break
    if (inPartition > 0 && inPartition + bytes > limits.partitionBytes) break
    total += bytes
    perPartition.set(partition, inPartition + bytes)
  }
  return n
}
