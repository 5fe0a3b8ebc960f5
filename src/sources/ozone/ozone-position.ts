// Where an ozone-events run is in a labeler's event log, as saved in the cursor store: not a
// timestamp alone but a window edge plus the ids already produced at or after it.
//   createdAfter  every event created before it is in Kafka (or committed later than the
//                 overlap allows, see ozone-window.ts); absent: nothing was read yet
//   seen          the ids of events created at or after `createdAfter` that are in Kafka
// A restart reads from `createdAfter` again (Ozone's createdAfter is inclusive) and skips the
// ids in `seen`: nothing is skipped, nothing is produced twice. Ids are written as ranges
// ("101-250,253"): a burst of consecutive ids costs a few bytes.
// Pure: parse and format only.

export interface OzonePosition {
  /** Date#toISOString() form (Ozone compares it as text); undefined = from the first event */
  readonly createdAfter: string | undefined
  /** ascending, no duplicates */
  readonly seen: readonly number[]
  /** the newest event produced, for people reading the cursor (not used to resume) */
  readonly last?: { readonly id: number; readonly createdAt: string }
}

const OZONE_POSITION_VERSION = 1

export function formatOzonePosition(position: OzonePosition): string {
  return JSON.stringify({
    v: OZONE_POSITION_VERSION,
    createdAfter: position.createdAfter ?? null,
    seen: encodeIdRanges(position.seen),
    last: position.last,
  })
}

/** Throws an Error naming what is wrong (the caller adds where the text came from). */
export function parseOzonePosition(text: string): OzonePosition {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new Error('the Ozone cursor is not JSON', { cause: err })
  }
  if (typeof value !== 'object' || value === null) throw new Error('the Ozone cursor is not an object')
  const v = value as Record<string, unknown>
  if (v.v !== OZONE_POSITION_VERSION) throw new Error(`unknown Ozone cursor version ${String(v.v)}`)
  const createdAfter = v.createdAfter
  if (createdAfter !== null && (typeof createdAfter !== 'string' || !isIsoTime(createdAfter))) {
    throw new Error(`the Ozone cursor's createdAfter is not an ISO time: ${String(createdAfter)}`)
  }
  if (typeof v.seen !== 'string') throw new Error("the Ozone cursor's seen is not a string")
  const last = v.last as { id?: unknown; createdAt?: unknown } | undefined
  return {
    createdAfter: createdAfter ?? undefined,
    seen: decodeIdRanges(v.seen),
    ...(last && Number.isSafeInteger(last.id) && typeof last.createdAt === 'string'
      ? { last: { id: last.id as number, createdAt: last.createdAt } }
      : {}),
  }
}

/** `Date#toISOString()` form exactly: what Ozone writes and compares as text */
export function isIsoTime(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s)) return false
  const ms = Date.parse(s)
  return Number.isFinite(ms) && new Date(ms).toISOString() === s
}

/** ascending unique ids → "1-3,7,9-10" */
export function encodeIdRanges(ids: readonly number[]): string {
  const parts: string[] = []
  let i = 0
  while (i < ids.length) {
    const start = ids[i] as number
    let end = start
    while (i + 1 < ids.length && ids[i + 1] === end + 1) {
      end++
      i++
    }
    parts.push(start === end ? String(start) : `${start}-${end}`)
    i++
  }
  return parts.join(',')
}

/** more ids than any window keeps (ozone-window.ts bounds it far lower) */
const MAX_POSITION_IDS = 1_000_000

export function decodeIdRanges(text: string): number[] {
  if (text === '') return []
  const ids: number[] = []
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    const start = Number(m?.[1])
    const end = m?.[2] === undefined ? start : Number(m[2])
    if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
      throw new Error(`the Ozone cursor's seen ids are malformed at "${part.slice(0, 40)}"`)
    }
    if (ids.length > 0 && start <= (ids.at(-1) as number)) {
      throw new Error("the Ozone cursor's seen ids are not ascending")
    }
    if (ids.length + (end - start) >= MAX_POSITION_IDS) {
      throw new Error(`the Ozone cursor holds more than ${MAX_POSITION_IDS} seen ids`)
    }
    for (let id = start; id <= end; id++) ids.push(id)
  }
  return ids
}
