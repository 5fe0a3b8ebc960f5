// The ozone-events high-water mark against a model of Ozone's moderation_event table: events
// whose createdAt and id are taken before their transaction commits, a queryEvents that sees
// only committed rows (createdAfter inclusive, keyset cursor strictly after), passes at wall
// times, acks late (in send order, as Kafka's are) or never, crashes that resume from the last
// safe position. The property:
// every event whose commit came at most `overlap` after its createdAt is produced exactly
// once, and no event is ever produced twice.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { formatOzonePosition, parseOzonePosition } from '../../../../src/sources/ozone/ozone-position.ts'
import {
  createOzoneWindow,
  type EventRef,
  type OzoneWindow,
} from '../../../../src/sources/ozone/ozone-window.ts'

interface Row {
  id: number
  createdMs: number
  commitMs: number
}

const iso = (ms: number) => new Date(ms).toISOString()
const T0 = Date.parse('2026-07-01T00:00:00.000Z')

/** `count` events one millisecond apart from T0, ids 1…count, each committed as it is stamped */
const steadyRows = (count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ({ id: i + 1, createdMs: T0 + i, commitMs: T0 + i }))

/** queryEvents: committed rows at `nowMs`, asc by (createdAt, id), createdAfter inclusive */
function query(
  rows: readonly Row[],
  nowMs: number,
  createdAfter: string | undefined,
  cursor: EventRef | undefined,
  limit: number,
) {
  const visible = rows
    .filter((r) => r.commitMs <= nowMs)
    .map((r) => ({ id: r.id, createdAt: iso(r.createdMs) }))
    .filter((r) => createdAfter === undefined || r.createdAt >= createdAfter)
    .filter(
      (r) =>
        !cursor || r.createdAt > cursor.createdAt || (r.createdAt === cursor.createdAt && r.id > cursor.id),
    )
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id))
  return visible.slice(0, limit)
}

describe('ozone window', () => {
  test('a first pass reads everything once; a second pass re-reads the overlap and skips it', () => {
    const rows: Row[] = [1, 2, 3, 4, 5].map((id) => ({
      id,
      createdMs: T0 + id * 1000,
      commitMs: T0 + id * 1000,
    }))
    const w = createOzoneWindow(undefined, { overlapMs: 2500, maxTracked: 1000 })
    const now = T0 + 10_000
    assert.equal(w.beginPass(now), undefined)
    const page = query(rows, now, undefined, undefined, 100)
    const { fresh, ack } = w.admit(page)
    assert.deepEqual(
      fresh.map((e) => e.id),
      [1, 2, 3, 4, 5],
    )
    ack()
    // the pass is under way: the edge trails the last row read, capped at W - overlap
    assert.equal(w.safe().createdAfter, iso(T0 + 5000))
    // pass 2: everything older than pass 1's start - overlap is final
    const edge = w.beginPass(now + 1000)
    assert.equal(edge, iso(now - 2500))
    assert.deepEqual(w.safe(), {
      createdAfter: iso(now - 2500),
      seen: [],
      last: { id: 5, createdAt: iso(T0 + 5000) },
    })
    assert.equal(w.tracked, 0)
  })

  test('an event committed late behind rows already read is picked up, and only once', () => {
    const rows: Row[] = [
      { id: 1, createdMs: T0, commitMs: T0 + 10 },
      { id: 2, createdMs: T0 + 100, commitMs: T0 + 900 }, // slow transaction
      { id: 3, createdMs: T0 + 200, commitMs: T0 + 210 },
    ]
    const w = createOzoneWindow(undefined, { overlapMs: 2000, maxTracked: 1000 })
    const seen: number[] = []
    const pass = (now: number) => {
      const edge = w.beginPass(now)
      let cursor: EventRef | undefined
      for (;;) {
        const page = query(rows, now, edge, cursor, 2)
        if (page.length === 0) break
        const a = w.admit(page)
        seen.push(...a.fresh.map((e) => e.id))
        a.ack()
        if (page.length < 2) break
        cursor = page.at(-1)
      }
    }
    pass(T0 + 500) // sees 1 and 3
    assert.deepEqual(seen, [1, 3])
    pass(T0 + 1000) // 2 committed: found behind 3
    pass(T0 + 1500)
    assert.deepEqual(seen, [1, 3, 2])
    assert.deepEqual(w.safe().seen, [1, 2, 3], 'ids in the window are saved with the edge')
  })

  test('a restart from a saved position skips what was produced and reads what was not', () => {
    const rows: Row[] = Array.from({ length: 10 }, (_, i) => ({
      id: i + 1,
      createdMs: T0 + 7,
      commitMs: T0 + 7,
    }))
    const w1 = createOzoneWindow(undefined, { overlapMs: 1000, maxTracked: 1000 })
    const now = T0 + 100
    w1.beginPass(now)
    const p1 = w1.admit(query(rows, now, undefined, undefined, 4))
    p1.ack()
    const p2 = w1.admit(query(rows, now, undefined, { id: 4, createdAt: iso(T0 + 7) }, 4))
    // p2 never acked: a crash
    assert.equal(p2.fresh.length, 4)
    const saved = parseOzonePosition(formatOzonePosition(w1.safe()))
    assert.deepEqual(saved.seen, [1, 2, 3, 4], 'all share one millisecond: only ids tell them apart')
    const w2 = createOzoneWindow(saved, { overlapMs: 1000, maxTracked: 1000 })
    const edge = w2.beginPass(now + 50)
    assert.equal(edge, saved.createdAfter)
    const again = w2.admit(query(rows, now + 50, edge, undefined, 100))
    assert.deepEqual(
      again.fresh.map((e) => e.id),
      [5, 6, 7, 8, 9, 10],
    )
  })

  test('acks out of order: safe() waits for the oldest page', () => {
    const rows: Row[] = [1, 2, 3].map((id) => ({ id, createdMs: T0 + id, commitMs: T0 + id }))
    const w = createOzoneWindow(undefined, { overlapMs: 0, maxTracked: 1000 })
    w.beginPass(T0 + 10_000)
    const a = w.admit(query(rows, T0 + 10_000, undefined, undefined, 1))
    const b = w.admit(query(rows, T0 + 10_000, undefined, { id: 1, createdAt: iso(T0 + 1) }, 1))
    b.ack()
    assert.equal(w.safe().createdAfter, undefined)
    assert.deepEqual(w.safe().seen, [])
    assert.equal(w.pending, 1)
    a.ack()
    assert.equal(w.safe().createdAfter, iso(T0 + 2))
    assert.deepEqual(w.safe().seen, [2])
  })

  test('past maxTracked the oldest acked ids go and the edge rises above them (counted)', () => {
    const rows = steadyRows(500)
    const w = createOzoneWindow(undefined, { overlapMs: 60_000, maxTracked: 100 })
    const now = T0 + 1000
    w.beginPass(now)
    let cursor: EventRef | undefined
    for (;;) {
      const page = query(rows, now, undefined, cursor, 50)
      if (page.length === 0) break
      w.admit(page).ack()
      cursor = page.at(-1)
    }
    assert.ok(w.tracked <= 100, `tracked ${w.tracked}`)
    assert.ok(w.shortened > 0)
    const pos = w.safe()
    // the edge is above every id it no longer holds
    assert.ok(pos.seen.length <= 100)
    assert.ok(pos.createdAfter! > iso(T0 + 500 - pos.seen.length - 60))
    // a pass from there skips everything
    const edge = w.beginPass(now + 10)
    const again = w.admit(query(rows, now + 10, edge, undefined, 100))
    assert.deepEqual(again.fresh, [])
  })

  test('a cut never drops an id that Kafka does not hold yet', () => {
    const rows = steadyRows(40)
    const w = createOzoneWindow(undefined, { overlapMs: 60_000, maxTracked: 10 })
    w.beginPass(T0 + 100)
    const unacked = w.admit(query(rows, T0 + 100, undefined, undefined, 40))
    assert.equal(w.tracked, 40, 'nothing acked: nothing may go')
    unacked.ack()
    w.admit(query(rows, T0 + 100, undefined, { id: 40, createdAt: iso(T0 + 39) }, 40)).ack()
    w.beginPass(T0 + 200)
    w.admit([]).ack()
    assert.ok(w.tracked <= 40)
  })
})

describe('ozone window against a simulated Ozone (property)', () => {
  const rowArb = fc.record({
    createdOffset: fc.integer({ min: 0, max: 3000 }),
    // most transactions are quick; some take up to 1.5 s
    commitDelay: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1500 })),
  })
  test('exactly once for every event that commits within the overlap, never twice', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }), // page limit
        fc.array(fc.integer({ min: 50, max: 700 }), { minLength: 5, maxLength: 20 }), // pass gaps
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 30, maxLength: 30 }), // 0 = crash before ack
        fc.integer({ min: 10, max: 200 }), // maxTracked
        (specs, limit, gaps, fate, maxTracked) => {
          const overlapMs = 1500
          // ids are taken in creation order but commits come in any order
          const rows: Row[] = specs
            .map((s) => ({ createdMs: T0 + s.createdOffset, commitMs: T0 + s.createdOffset + s.commitDelay }))
            .sort((a, b) => a.createdMs - b.createdMs)
            .map((r, i) => ({ id: i + 1, ...r }))
          const produced: number[] = []
          let w: OzoneWindow = createOzoneWindow(undefined, { overlapMs, maxTracked })
          let now = T0
          let f = 0
          let shortenedBefore = 0
          const allGaps = [...gaps, 5000, 5000]
          for (let pass = 0; pass < allGaps.length; pass++) {
            now += allGaps[pass] as number
            // the last two passes run undisturbed, long after every commit
            const calm = pass >= gaps.length
            const edge = w.beginPass(now)
            let cursor: EventRef | undefined
            const owed: { fresh: EventRef[]; ack: () => void }[] = []
            let crashed = false
            for (;;) {
              const page = query(rows, now, edge, cursor, limit)
              if (page.length === 0) break
              const a = w.admit(page)
              const what = calm ? 2 : fate[f++ % fate.length]
              if (what === 0) {
                // crash: Kafka never got this page nor anything owed
                crashed = true
                break
              }
              if (what === 1) owed.push(a)
              else {
                // Kafka holds records in the order they were sent: a page acked now means the
                // pages owed before it are held too (their acks may still come later)
                for (const o of owed.splice(0)) {
                  produced.push(...o.fresh.map((e) => e.id))
                  o.ack()
                }
                produced.push(...a.fresh.map((e) => e.id))
                a.ack()
              }
              if (page.length < limit) break
              cursor = page.at(-1)
            }
            if (crashed) {
              shortenedBefore += w.shortened
              w = createOzoneWindow(parseOzonePosition(formatOzonePosition(w.safe())), {
                overlapMs,
                maxTracked,
              })
              continue
            }
            for (const a of owed) {
              produced.push(...a.fresh.map((e) => e.id))
              a.ack()
            }
          }
          const twice = produced.filter((id, i) => produced.indexOf(id) !== i)
          assert.deepEqual(twice, [], 'no event twice')
          const shortened = w.shortened + shortenedBefore > 0
          for (const r of rows) {
            if (r.commitMs - r.createdMs > overlapMs || shortened) continue
            assert.ok(
              produced.includes(r.id),
              `event ${r.id} (created +${r.createdMs - T0}, committed +${r.commitMs - T0}) missing`,
            )
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})
