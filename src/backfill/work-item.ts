// A backfill work item: one repo to copy. The planner writes one per repo to the work topic,
// keyed by DID (so one repo's items share a partition and a compacted topic keeps the latest);
// workers read them in a consumer group. The value is JSON, validated when read back: the
// topic may hold anything anyone wrote to it.
import * as v from 'valibot'
import { isDid } from '../events/atproto-syntax.ts'

export interface WorkItem {
  readonly did: string
  /** the repo's PDS, from its DID document (an https or http URL, no path) */
  readonly pds: string
  /** the rev the listing gave, when it gave one (the CAR's own rev is what is copied) */
  readonly rev?: string
}

const ItemSchema = v.object({
  did: v.pipe(
    v.string(),
    v.check((s: string) => isDid(s), 'not a DID'),
  ),
  pds: v.pipe(
    v.string(),
    v.maxLength(2048),
    v.check((s) => /^https?:\/\/[^/?#\s]+\/?$/.test(s), 'not an http(s) origin'),
  ),
  rev: v.optional(v.pipe(v.string(), v.maxLength(64))),
})

export function encodeWorkItem(item: WorkItem): Buffer {
  return Buffer.from(JSON.stringify(item.rev === undefined ? { did: item.did, pds: item.pds } : item))
}

/** the item, or a message naming what is wrong (a bad item is dead-lettered, never retried) */
export function decodeWorkItem(value: Uint8Array | undefined | null): WorkItem | string {
  if (!value || value.length === 0) return 'empty work item'
  if (value.length > 4096) return `work item of ${value.length} bytes (at most 4096)`
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'))
  } catch (err) {
    return `work item is not JSON: ${(err as Error).message}`
  }
  const parsed = v.safeParse(ItemSchema, json)
  if (!parsed.success)
    return `work item: ${parsed.issues.map((i) => `${v.getDotPath(i) ?? ''} ${i.message}`.trim()).join('; ')}`
  const { did, pds, rev } = parsed.output
  return { did, pds: pds.replace(/\/$/, ''), ...(rev === undefined ? {} : { rev }) }
}
