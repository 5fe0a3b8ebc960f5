// Which partition each record goes to, decided by the sink rather than inside the client: the
// producer's partitioner (murmur2 of the key, as the Java client) over the partition count of
// the topic's metadata. The sink then knows, for every record, the partition batch it travels
// in: to bound each batch in bytes, and, when a produce fails for some partitions only, which
// records the broker already holds. The client sends a message to the partition it names.
import type { AtkafkaProducer } from '../../kafka/create-producer.ts'
import { keyHash } from '../../kafka/key-hash.ts'
import type { OutboundRecord } from '../../pipeline/types.ts'

/** a record with the partition it is sent to */
type PartitionedRecord = OutboundRecord & { readonly partition: number }

export interface Partitions {
  /** reads the partition counts of these topics (the client caches its metadata for a few seconds) */
  refresh(topics: Iterable<string>): Promise<void>
  /** the partition of a record of a topic refreshed before */
  of(record: OutboundRecord): number
  /** the record with its partition (the message given to the client) */
  assign(record: OutboundRecord): PartitionedRecord
}

export function createPartitions(producer: Pick<AtkafkaProducer, 'metadata'>): Partitions {
  const counts = new Map<string, number>()
  // murmur2 once per key (key-hash.ts); the client itself skips it for a message that names its partition
  const of = (record: OutboundRecord): number => {
    const count = counts.get(record.topic)
    if (count === undefined) throw new Error(`no partition count for topic ${record.topic}`)
    return keyHash(record.key) % count
  }
  return {
    async refresh(topics) {
      const metadata = await producer.metadata({ topics: [...new Set(topics)] })
      // a topic the broker did not describe stays unknown: of() then fails the request
      for (const [topic, info] of metadata.topics) if (info) counts.set(topic, info.partitionsCount)
    },
    of,
    assign: (record) => ({ ...record, partition: of(record) }),
  }
}

// "topic:partition" strings, made once each (the sink asks for one per record); topics are
// few, but routes with templates make them open-ended: past the bound the memo starts over
const MAX_KEYED_TOPICS = 1024
const keyed = new Map<string, string[]>()

/** "topic:partition" */
export function partitionKey(topic: string, partition: number): string {
  let keys = keyed.get(topic)
  if (keys === undefined) {
    if (keyed.size >= MAX_KEYED_TOPICS) keyed.clear()
    keys = []
    keyed.set(topic, keys)
  }
  let key = keys[partition]
  if (key === undefined) {
    key = `${topic}:${partition}`
    keys[partition] = key
  }
  return key
}

export interface ProduceOutcome {
  /** partitions the broker holds the records of */
  readonly written: ReadonlySet<string>
  /** partitions the broker answered with an error for: their records are not written */
  readonly refused: ReadonlySet<string>
}

/**
 * What a failed produce did, partition by partition ("topic:partition"): the client reports the
 * offsets of the requests that succeeded (`produced`: other brokers), and the broker's response
 * to a failed request names the error of each of its partitions (0: written). Retries inside the
 * client resend a request with the same sequence numbers (the broker drops a batch it already
 * has), so a partition written on any attempt is written, once. A partition in neither set
 * (a request without an answer) may or may not be written.
 */
export function produceOutcome(err: unknown): ProduceOutcome {
  const written = new Set<string>()
  const refused = new Set<string>()
  const seen = new Set<unknown>()
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 8 || seen.has(e)) return
    seen.add(e)
    const x = e as {
      produced?: { offsets?: { topic?: unknown; partition?: unknown }[] }
      response?: { responses?: unknown }
      errors?: unknown
      cause?: unknown
    }
    for (const o of x.produced?.offsets ?? []) {
      if (typeof o.topic === 'string' && typeof o.partition === 'number') {
        written.add(partitionKey(o.topic, o.partition))
      }
    }
    const responses = x.response?.responses
    if (Array.isArray(responses)) {
      for (const r of responses as { name?: unknown; partitionResponses?: unknown }[]) {
        if (typeof r?.name !== 'string' || !Array.isArray(r.partitionResponses)) continue
        for (const p of r.partitionResponses as { index?: unknown; errorCode?: unknown }[]) {
          if (typeof p?.index !== 'number' || typeof p.errorCode !== 'number') continue
          ;(p.errorCode === 0 ? written : refused).add(partitionKey(r.name, p.index))
        }
      }
    }
    if (Array.isArray(x.errors)) for (const inner of x.errors) visit(inner, depth + 1)
    visit(x.cause, depth + 1)
  }
  visit(err, 0)
  for (const p of written) refused.delete(p)
  return { written, refused }
}
