// The high-water mark of an ozone-events run: which events to read next, which of them were
// already produced, and what position may be saved. Pure (the caller passes the clock).
//
// Why not a timestamp or Ozone's cursor alone: Ozone stamps an event's createdAt (and takes
// its id) inside the writing transaction, before it commits, so a slow transaction makes an
// event visible *behind* events already read. A reader that only moves forward misses it.
// So every pass re-reads from the edge of a window:
//
//   pass P starts at wall time W (beginPass). It reads every event with createdAt >= edge
//   (createdAfter is inclusive), page after page with Ozone's keyset cursor, to the end.
//   An event not seen in P committed after W. If its transaction took at most `overlapMs`
//   (from createdAt to commit, plus any clock skew between atkafka and Ozone), its createdAt
//   is after W - overlapMs. So once P is complete the edge may move to W - overlapMs, and
//   while P is under way to min(W - overlapMs, createdAt of the last row read).
//
// Events re-read at or after the edge are skipped by id: the ids produced at or after the
// edge are kept (`seen`) and saved with it (ozone-position.ts), so a restart skips them too.
// Past `maxTracked` ids the oldest produced ones are dropped and the edge moves above them:
// the overlap shrinks for a moment (counted in `shortened`) rather than memory growing.
//
// Positions follow acks: each page is one delivery; safe() is the state after the newest
// delivery that Kafka holds together with every delivery before it.
import type { OzonePosition } from './ozone-position.ts'

export interface EventRef {
  readonly id: number
  /** Date#toISOString() form */
  readonly createdAt: string
}

export interface OzoneWindowOptions {
  /** the longest createdAt-to-commit delay (plus clock skew) that can never be missed */
  readonly overlapMs: number
  /** most ids kept for de-duplication (each ~100 bytes) */
  readonly maxTracked: number
}

interface Admitted<T> {
  /** the page's events not produced before, in page order */
  readonly fresh: T[]
  /** call once Kafka holds every fresh event */
  readonly ack: () => void
}

export interface OzoneWindow {
  /** starts a pass at wall time `nowMs`; returns its createdAfter (undefined: from the first event) */
  beginPass(nowMs: number): string | undefined
  /** the events of one page, in Ozone's (createdAt, id) order */
  admit<T extends EventRef>(page: readonly T[]): Admitted<T>
  /** the position after the newest delivery that Kafka holds with all before it */
  safe(): OzonePosition
  /** ids kept for de-duplication now */
  readonly tracked: number
  /** times the window was cut short to stay within maxTracked */
  readonly shortened: number
  /** deliveries handed out and not yet acked */
  readonly pending: number
}

interface Entry {
  readonly id: number
  /** undefined: restored from a saved position, not read again yet */
  createdAt: string | undefined
  /** the delivery that produced it (0: before this run) */
  readonly seq: number
  dead: boolean
}

interface DeliveryMark {
  readonly seq: number
  /** the read edge after this delivery */
  readonly edge: string | undefined
  readonly last: EventRef | undefined
  acked: boolean
}

const maxIso = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : a > b ? a : b
const minIso = (a: string, b: string): string => (a < b ? a : b)
const iso = (ms: number): string => new Date(ms).toISOString()
const after = (a: EventRef, b: EventRef | undefined): boolean =>
  b === undefined || a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id)

export function createOzoneWindow(
  start: OzonePosition | undefined,
  options: OzoneWindowOptions,
): OzoneWindow {
  const { overlapMs, maxTracked } = options
  /** createdAfter of the next pass: everything before it was read */
  let edge = start?.createdAfter
  /** forced minimum of every edge, raised when the window is cut */
  let floor: string | undefined
  /** W - overlap of the pass under way; undefined before the first pass */
  let passFloor: string | undefined
  /** last row read in the pass under way */
  let lastRead: EventRef | undefined
  let passes = 0
  let shortened = 0

  const entries = new Map<number, Entry>()
  // insertion order, for eviction from the head
  let order: Entry[] = []
  let orderHead = 0
  for (const id of start?.seen ?? []) {
    const entry: Entry = { id, createdAt: undefined, seq: 0, dead: false }
    entries.set(id, entry)
    order.push(entry)
  }

  let cached: { key: string; position: OzonePosition } | undefined
  const marks: DeliveryMark[] = []
  let marksHead = 0
  let nextSeq = 1
  let safeSeq = 0
  let safeEdge = edge
  let safeLast: EventRef | undefined = start?.last

  const evict = () => {
    while (orderHead < order.length) {
      const e = order[orderHead] as Entry
      if (!e.dead) {
        if (e.createdAt === undefined || e.seq > safeSeq) break
        if (safeEdge === undefined || e.createdAt >= safeEdge) break
        entries.delete(e.id)
        e.dead = true
      }
      orderHead++
    }
    if (orderHead > 1024 && orderHead * 2 > order.length) {
      order = order.slice(orderHead)
      orderHead = 0
    }
  }

  const advanceSafe = () => {
    let moved = false
    while (marksHead < marks.length && (marks[marksHead] as DeliveryMark).acked) {
      const m = marks[marksHead] as DeliveryMark
      safeSeq = m.seq
      safeEdge = maxIso(m.edge, floor)
      if (m.last && after(m.last, safeLast)) safeLast = m.last
      marksHead++
      moved = true
    }
    if (marksHead > 1024 && marksHead * 2 > marks.length) {
      marks.splice(0, marksHead)
      marksHead = 0
    }
    if (moved) evict()
  }

  const mark = (last: EventRef | undefined): DeliveryMark => {
    const m: DeliveryMark = { seq: nextSeq++, edge, last, acked: false }
    marks.push(m)
    return m
  }

  /** drops the oldest produced ids and raises the floor above them, keeping what must stay */
  const cut = () => {
    if (entries.size <= maxTracked) return
    // candidates: acked, known time, and (mid-pass) strictly older than the last row read, so
    // that no unread row of the same millisecond lies below the new floor
    const candidates: Entry[] = []
    let oldestUnacked: string | undefined
    for (const e of entries.values()) {
      if (e.createdAt === undefined) continue
      if (e.seq > safeSeq) {
        if (oldestUnacked === undefined || e.createdAt < oldestUnacked) oldestUnacked = e.createdAt
        continue
      }
      if (lastRead && e.createdAt >= lastRead.createdAt) continue
      candidates.push(e)
    }
    if (candidates.length === 0) return
    candidates.sort((a, b) => ((a.createdAt as string) < (b.createdAt as string) ? -1 : 1))
    // drop a tenth more than needed, so that cuts are rare
    const want = Math.min(candidates.length, entries.size - Math.floor(maxTracked * 0.9))
    let cutAt = (candidates[want - 1] as Entry).createdAt as string
    if (oldestUnacked !== undefined && cutAt >= oldestUnacked) {
      // every id below the new floor must be in Kafka: stop below the oldest unacked one
      const below = candidates.filter((e) => (e.createdAt as string) < (oldestUnacked as string))
      if (below.length === 0) return
      cutAt = (below.at(-1) as Entry).createdAt as string
    }
    floor = maxIso(floor, iso(Date.parse(cutAt) + 1))
    edge = maxIso(edge, floor)
    safeEdge = maxIso(safeEdge, floor)
    for (const e of candidates) {
      if ((e.createdAt as string) < (floor as string)) {
        entries.delete(e.id)
        e.dead = true
      }
    }
    shortened++
  }

  return {
    beginPass(nowMs) {
      if (passFloor !== undefined) {
        // the previous pass read to the end: everything older than its start - overlap is final
        edge = maxIso(edge, passFloor)
        if (passes === 1) {
          // ids restored from the saved position that the first full pass did not meet again
          for (const e of entries.values()) {
            if (e.createdAt === undefined) {
              entries.delete(e.id)
              e.dead = true
            }
          }
        }
        // a delivery without events carries the new edge to safe()
        mark(undefined).acked = true
        advanceSafe()
      }
      passes++
      passFloor = iso(nowMs - overlapMs)
      lastRead = undefined
      return edge
    },

    admit(page) {
      const fresh: (typeof page)[number][] = []
      let newest: EventRef | undefined
      const seq = nextSeq
      for (const event of page) {
        const known = entries.get(event.id)
        if (known) {
          if (known.createdAt === undefined) {
            // a restored id met again: now its time is known (and it may be evicted)
            known.dead = true
            const entry: Entry = { id: event.id, createdAt: event.createdAt, seq: known.seq, dead: false }
            entries.set(event.id, entry)
            order.push(entry)
          }
        } else {
          const entry: Entry = { id: event.id, createdAt: event.createdAt, seq, dead: false }
          entries.set(event.id, entry)
          order.push(entry)
          fresh.push(event)
          if (after(event, newest)) newest = event
        }
        if (after(event, lastRead)) lastRead = event
      }
      if (lastRead && passFloor !== undefined) {
        edge = maxIso(edge, minIso(passFloor, lastRead.createdAt))
      }
      const m = mark(newest)
      cut()
      return {
        fresh,
        ack: () => {
          if (m.acked) return
          m.acked = true
          advanceSafe()
        },
      }
    },

    safe() {
      // the same object while nothing moved (the cursor saver and the transactional sink
      // compare checkpoints with ===)
      const key = `${safeSeq}|${safeEdge}|${floor}|${shortened}|${entries.size}`
      if (cached && cached.key === key) return cached.position
      const seen: number[] = []
      for (const e of entries.values()) {
        if (e.seq > safeSeq) continue
        // restored ids not met again are still owed to the position they came from
        if (e.createdAt === undefined || safeEdge === undefined || e.createdAt >= safeEdge) seen.push(e.id)
      }
      seen.sort((a, b) => a - b)
      const position: OzonePosition = {
        createdAfter: safeEdge,
        seen,
        ...(safeLast ? { last: safeLast } : {}),
      }
      cached = { key, position }
      return position
    },

    get tracked() {
      return entries.size
    },
    get shortened() {
      return shortened
    },
    get pending() {
      let n = 0
      for (let i = marksHead; i < marks.length; i++) if (!(marks[i] as DeliveryMark).acked) n++
      return n
    },
  }
}
