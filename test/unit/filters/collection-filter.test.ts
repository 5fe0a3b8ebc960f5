import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { createCollectionFilter } from '../../../src/filters/collection-filter.ts'
import {
  createCollectionMatcher,
  validateCollectionPattern,
} from '../../../src/filters/collection-matcher.ts'

const op = (collection: string): AtprotoEvent => ({
  kind: 'operation',
  did: 'did:plc:x',
  rev: 'r',
  time: 't',
  action: 'create',
  collection,
  rkey: 'k',
})

test('patterns: exact, prefix wildcard (which matches the prefix itself), everything', () => {
  const m = createCollectionMatcher(['app.bsky.feed.post', 'fm.teal.*'])
  assert.equal(m('app.bsky.feed.post'), true)
  assert.equal(m('app.bsky.feed.postx'), false)
  assert.equal(m('app.bsky.feed.like'), false)
  assert.equal(m('fm.teal'), true)
  assert.equal(m('fm.teal.alpha.feed.play'), true)
  assert.equal(m('fm.tealish.x'), false)
  assert.equal(createCollectionMatcher(['*'])('anything.at.all'), true)
})

test('invalid patterns are reported', () => {
  for (const p of ['app.*.post', '*.bsky.app', 'app..bsky', 'app.bsky.*.*', 'app bsky', '']) {
    assert.ok(validateCollectionPattern(p), `${JSON.stringify(p)} is invalid`)
  }
  for (const p of ['app.bsky.feed.post', 'app.bsky.*', '*', 'com.example-app.thing']) {
    assert.equal(validateCollectionPattern(p), undefined, p)
  }
})

test('matched and ignored filter operations only; account, identity, sync and info always pass', () => {
  const others: AtprotoEvent[] = [
    { kind: 'account', did: 'd', seq: 1, time: 't', active: true },
    { kind: 'identity', did: 'd', time: 't' },
    { kind: 'sync', did: 'd', seq: 1, rev: 'r', time: 't' },
    { kind: 'info', name: 'n', time: 't' },
  ]
  const matched = createCollectionFilter({ matched: ['app.bsky.graph.*'] })
  assert.equal(matched(op('app.bsky.graph.follow')), true)
  assert.equal(matched(op('app.bsky.feed.like')), false)
  const ignored = createCollectionFilter({ ignored: ['app.bsky.graph.*'] })
  assert.equal(ignored(op('app.bsky.graph.follow')), false)
  assert.equal(ignored(op('app.bsky.feed.like')), true)
  for (const f of [matched, ignored, createCollectionFilter({})])
    for (const e of others) assert.equal(f(e), true)
  assert.throws(() => createCollectionFilter({ matched: ['a.b'], ignored: ['c.d'] }))
})
