// `atkafka backfill status`: how far a backfill is, read from Kafka alone (any machine can ask):
// the plans (<work>.plan), the items in the work topic and how many the group has consumed,
// the repos done (<work>.done: records copied) and failed by reason (<work>.failed), and the
// relay cursor the live writer starts from for no gap; and the rate and ETA of the last five minutes.
import { randomUUID } from 'node:crypto'
import { Consumer } from '@platformatic/kafka'
import { readCommittedPartition } from '../cursor/read-committed.ts'
import { connectionOptions, type KafkaConfig } from '../kafka/kafka-client-options.ts'
import { type PlanState, planStateCodec } from './plan-state.ts'

export interface BackfillStatus {
  readonly workTopic: string
  readonly plans: { readonly id: string; readonly state: PlanState }[]
  /** items in the work topic, and those the group has consumed (done, skipped or failed) */
  readonly items: number
  readonly consumed: number
  readonly done: number
  readonly records: number
  /** repos done per second over the last five minutes (from the done records' times) */
  readonly reposPerSecond: number
  readonly recordsPerSecond: number
  readonly failed: Record<string, number>
}

/** what may answer the work topic's end offsets and the group's committed ones (any Consumer) */
interface OffsetsReader {
  listOffsets(o: { topics: string[] }): Promise<Map<string, bigint[]>>
}
interface GroupOffsetsReader {
  listCommittedOffsets(o: {
    topics: { topic: string; partitions: number[] }[]
  }): Promise<Map<string, bigint[]>>
}

/** items in the work topic (its end offsets) and those the group has consumed (its committed offsets) */
export async function readWorkProgress(
  reader: OffsetsReader,
  group: GroupOffsetsReader,
  work: string,
): Promise<{ items: number; consumed: number }> {
  const ends = (await reader.listOffsets({ topics: [work] })).get(work) ?? []
  const committed =
    (await group.listCommittedOffsets({ topics: [{ topic: work, partitions: ends.map((_, i) => i) }] })).get(
      work,
    ) ?? []
  let items = 0
  let consumed = 0
  for (const [i, end] of ends.entries()) {
    items += Number(end)
    const c = committed[i] ?? -1n
    if (c > 0n) consumed += Number(c)
  }
  return { items, consumed }
}

export async function readBackfillStatus(
  kafka: KafkaConfig,
  work: string,
  group: string,
): Promise<BackfillStatus> {
  const consumer = new Consumer({ ...connectionOptions(kafka), groupId: group, maxWaitTime: 100 })
  const reader = new Consumer({
    ...connectionOptions(kafka),
    groupId: `atkafka-backfill-status-${randomUUID()}`,
    maxWaitTime: 100,
  })
  try {
    const metadata = await reader.metadata({
      topics: [work, `${work}.done`, `${work}.failed`, `${work}.plan`],
    })
    const partitionsOf = (t: string) => metadata.topics.get(t)?.partitionsCount ?? 0
    const plans = new Map<string, PlanState>()
    for (let p = 0; p < partitionsOf(`${work}.plan`); p++) {
      await readCommittedPartition(reader, `${work}.plan`, p, (r) => {
        if (!r.key || !r.value) return
        try {
          plans.set(
            r.key.toString(),
            planStateCodec.fromFields(JSON.parse(r.value.toString()), `${work}.plan`),
          )
        } catch {
          // not a plan state record: the status shows plans only
        }
      })
    }
    const done = new Map<string, number>()
    const since = Date.now() - RATE_WINDOW_MS
    let recentRepos = 0
    let recentRecords = 0
    for (let p = 0; p < partitionsOf(`${work}.done`); p++) {
      await readCommittedPartition(reader, `${work}.done`, p, (r) => {
        if (!r.key || !r.value) return
        const { records, at } = JSON.parse(r.value.toString()) as { records?: unknown; at?: unknown }
        const n = typeof records === 'number' ? records : 0
        done.set(r.key.toString(), n)
        if (typeof at === 'string' && Date.parse(at) >= since) {
          recentRepos++
          recentRecords += n
        }
      })
    }
    const failed: Record<string, number> = {}
    for (let p = 0; p < partitionsOf(`${work}.failed`); p++) {
      await readCommittedPartition(reader, `${work}.failed`, p, (r) => {
        if (!r.value) return
        const reason = (JSON.parse(r.value.toString()) as { reason?: unknown }).reason
        const k = typeof reason === 'string' ? reason : 'unknown'
        failed[k] = (failed[k] ?? 0) + 1
      })
    }
    const { items, consumed } = await readWorkProgress(reader, consumer, work)
    let records = 0
    for (const n of done.values()) records += n
    return {
      workTopic: work,
      plans: [...plans].map(([id, state]) => ({ id, state })),
      items,
      consumed,
      done: done.size,
      records,
      reposPerSecond: round2(recentRepos / (RATE_WINDOW_MS / 1000)),
      recordsPerSecond: round2(recentRecords / (RATE_WINDOW_MS / 1000)),
      failed,
    }
  } finally {
    await reader.close(true)
    await consumer.close(true)
  }
}

const RATE_WINDOW_MS = 5 * 60_000
const round2 = (x: number) => Math.round(x * 100) / 100

/** one JSON line (what scripts read); the ETA is the items left at the last five minutes' rate */
export function formatStatus(s: BackfillStatus): string {
  const live = s.plans.map((p) => p.state.liveSeq).filter((x): x is number => x !== undefined)
  const left = s.items - s.consumed
  return `${JSON.stringify({
    ...s,
    left,
    ...(left > 0 && s.reposPerSecond > 0 ? { etaSeconds: Math.round(left / s.reposPerSecond) } : {}),
    ...(live.length > 0 ? { liveCursor: Math.min(...live) - 1 } : {}),
  })}\n`
}
