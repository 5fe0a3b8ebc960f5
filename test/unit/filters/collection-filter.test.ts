import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../src/errors.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import {
  type CollectionFilterConfig,
  createCollectionFilter,
} from '../../../src/filters/collection-filter.ts'

const op = (collection: string, action: 'create' | 'update' | 'delete' = 'create'): AtprotoEvent => ({
  kind: 'operation',
  did: 'did:plc:x',
  rev: 'r',
  time: 't',
  action,
  collection,
  rkey: 'k',
})

const nonOperations: AtprotoEvent[] = [
  { kind: 'account', did: 'did:plc:x', seq: 1, time: 't', active: true },
  { kind: 'identity', did: 'did:plc:x', time: 't' },
  { kind: 'sync', did: 'did:plc:x', seq: 1, rev: 'r', time: 't' },
  { kind: 'info', name: 'OutdatedCursor', time: 't' },
]

describe('createCollectionFilter', () => {
  const table: { config: CollectionFilterConfig; keep: string[]; drop: string[] }[] = [
    { config: {}, keep: ['app.bsky.feed.post', 'x.y.z'], drop: [] },
    { config: { matched: [], ignored: [] }, keep: ['app.bsky.feed.post'], drop: [] },
    {
      config: { matched: ['app.bsky.feed.like', 'app.bsky.graph.*'] },
      keep: ['app.bsky.feed.like', 'app.bsky.graph.follow', 'app.bsky.graph'],
      drop: ['app.bsky.feed.post', 'app.bsky.graphx.a', 'fm.teal.alpha.feed.play'],
    },
    {
      config: { ignored: ['fm.teal.*', 'app.bsky.feed.like'] },
      keep: ['app.bsky.feed.post', 'fm.tealx.a'],
      drop: ['fm.teal.alpha.feed.play', 'fm.teal', 'app.bsky.feed.like'],
    },
    { config: { matched: ['*'] }, keep: ['app.bsky.feed.post', 'a.b.c'], drop: [] },
    { config: { ignored: ['*'] }, keep: [], drop: ['app.bsky.feed.post', 'a.b.c'] },
    // an empty list on the other side is not a conflict
    { config: { matched: ['a.b.*'], ignored: [] }, keep: ['a.b.c'], drop: ['a.c.d'] },
  ]
  for (const { config, keep, drop } of table) {
    test(JSON.stringify(config), () => {
      const filter = createCollectionFilter(config)
      for (const c of keep) {
        for (const action of ['create', 'update', 'delete'] as const) {
          assert.equal(filter(op(c, action)), true, `${action} ${c} kept`)
        }
      }
      for (const c of drop) assert.equal(filter(op(c)), false, `${c} dropped`)
      for (const e of nonOperations) assert.equal(filter(e), true, `${e.kind} always kept`)
    })
  }

  test('matched and ignored together are refused', () => {
    assert.throws(
      () => createCollectionFilter({ matched: ['a.b.c'], ignored: ['d.e.f'] }),
      (err: unknown) => err instanceof ConfigError && /not both/.test(err.problems.join()),
    )
  })

  test('invalid patterns are refused, every one reported', () => {
    assert.throws(
      () => createCollectionFilter({ ignored: ['app.*.post', 'ok.pattern.*', '*.bsky.app'] }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.length === 2 &&
        err.problems[0]?.includes('"app.*.post"') === true &&
        err.problems[1]?.includes('"*.bsky.app"') === true,
    )
  })
})
