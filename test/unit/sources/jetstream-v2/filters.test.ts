import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePlan } from '../../../../src/sources/jetstream-v2/archive-client.ts'
import { createRowFilter, serverFilters } from '../../../../src/sources/jetstream-v2/jetstream-filters.ts'
import { parseSegment, segmentBlockRows } from '../../../../src/sources/jetstream-v2/read-segment.ts'
import type { SegmentRow } from '../../../../src/sources/jetstream-v2/segment-block.ts'
import {
  archiveExchanges,
  exchangeBody,
  liveMessages,
  recordedSegments,
} from '../../../helpers/jetstream-v2-fixtures.ts'

test("atkafka's options become Jetstream's filters where they mean the same", () => {
  assert.deepEqual(serverFilters({ matchedCollections: [], format: 'standard' }), {})
  assert.deepEqual(
    serverFilters({ matchedCollections: ['app.bsky.feed.*', 'app.bsky.graph.follow'], format: 'standard' }),
    {
      collections: ['app.bsky.feed', 'app.bsky.feed.*', 'app.bsky.graph.follow', 'app.bsky.graph.follow.*'],
    },
  )
  assert.deepEqual(serverFilters({ matchedCollections: ['*'], format: 'jetstream' }), {
    kinds: ['commit', 'identity', 'account'],
  })
  const many = Array.from({ length: 60 }, (_, i) => `com.example.c${i}`)
  assert.equal(serverFilters({ matchedCollections: many, format: 'standard' }).collections, undefined)
})

function allRows(): SegmentRow[] {
  const rows: SegmentRow[] = []
  for (const bytes of recordedSegments().values()) {
    const segment = parseSegment(bytes)
    for (let b = 0; b < segment.blocks.length; b++) rows.push(...segmentBlockRows(bytes, segment, b))
  }
  return rows
}

test("the row filter is the server's: on the live stream it keeps exactly what collections=app.bsky.feed.like delivered", () => {
  // the recorded filtered stream is the server's own answer to the same predicate
  const keep = createRowFilter({ collections: ['app.bsky.feed.like'] })
  const kinds = { commit: 1, identity: 4, account: 5, sync: 6 } as Record<string, number>
  const rowOf = (text: string): SegmentRow => {
    const p = JSON.parse(text).payload
    const kind = p.$type.split('#')[1]
    return {
      seq: p.seq,
      witnessedAt: 0,
      indexedAt: 0,
      kind: kinds[kind]!,
      collection: p.collection ?? '',
      did: p.did,
      rkey: '',
      rev: '',
      payload: new Uint8Array(),
    }
  }
  const all = liveMessages('cutover_plain').map((m) => rowOf(m.data.toString()))
  const kept = all.filter((r) => keep(r) === true).map((r) => r.seq)
  const served = liveMessages('cutover_filtered_likes').map((m) => rowOf(m.data.toString()).seq)
  assert.deepEqual(kept, served)
})

test('plans over-select: a kinds filter leaves the commits of planned segments out, counted by kind', () => {
  const keep = createRowFilter({ kinds: ['identity', 'account', 'sync'] })
  const outcomes = new Map<string, number>()
  for (const row of allRows()) {
    const k = String(keep(row))
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1)
  }
  assert.deepEqual(Object.fromEntries(outcomes), { operation: 2852, true: 36 })
})

test('planSnapshot answers are read field by field; malformed ones are refused by name', () => {
  for (const e of archiveExchanges().filter((x) => x.label.includes('plan') && x.status === 200)) {
    const plan = parsePlan(exchangeBody(e))
    assert.ok(plan.segments.length > 0 && plan.plannedThroughSeq <= plan.sealedTipSeq)
  }
  const did = parsePlan(exchangeBody(archiveExchanges().find((x) => x.label === 'did_plan_p1')!))
  assert.deepEqual(did.segments[0]?.blocks, [{ first: 0, last: 0 }])
  assert.throws(() => parsePlan(Buffer.from('{"plannedThroughSeq":1}')), /BadPlan/)
  assert.throws(
    () =>
      parsePlan(
        Buffer.from(
          '{"plannedThroughSeq":1,"sealedTipSeq":1,"segments":[{"name":"../x","index":0,"checksum":"00","minSeq":1,"maxSeq":1,"mode":"segment"}]}',
        ),
      ),
    /malformed/,
  )
})
