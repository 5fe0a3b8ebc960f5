import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createTailFilter } from '../../../src/tail/filter.ts'
import type { TailEvent } from '../../../src/tail/read-event.ts'

const ev = (action: TailEvent['action'], did: string, collection?: string): TailEvent => ({
  envelope: 'standard',
  action,
  did,
  time: 't',
  body: {},
  ...(collection === undefined ? {} : { collection, rkey: 'k' }),
})

const all = [
  ev('create', 'did:plc:a', 'app.bsky.feed.post'),
  ev('update', 'did:plc:a', 'app.bsky.actor.profile'),
  ev('delete', 'did:plc:b', 'app.bsky.feed.like'),
  ev('create', 'did:plc:b', 'fm.teal.alpha.play'),
  ev('account', 'did:plc:a'),
  ev('identity', 'did:plc:b'),
  ev('sync', 'did:plc:b'),
  ev('info', ''),
]
const names = (keep: (e: TailEvent | undefined) => boolean) =>
  all.filter(keep).map((e) => `${e.action} ${e.did} ${e.collection ?? ''}`.trim())

describe('createTailFilter', () => {
  test('no filter keeps everything, unreadable messages too', () => {
    const keep = createTailFilter({})
    assert.equal(all.filter(keep).length, all.length)
    assert.equal(keep(undefined), true)
    assert.equal(createTailFilter({ dids: [], collections: [], actions: [] })(undefined), true)
  })

  test('--did', () => {
    assert.deepEqual(names(createTailFilter({ dids: ['did:plc:a'] })), [
      'create did:plc:a app.bsky.feed.post',
      'update did:plc:a app.bsky.actor.profile',
      'account did:plc:a',
    ])
  })

  test('--collection uses the --matched-collections patterns and keeps only operations', () => {
    assert.deepEqual(names(createTailFilter({ collections: ['app.bsky.feed.*'] })), [
      'create did:plc:a app.bsky.feed.post',
      'delete did:plc:b app.bsky.feed.like',
    ])
    assert.deepEqual(names(createTailFilter({ collections: ['app.bsky'] })), [
      'create did:plc:a app.bsky.feed.post',
      'update did:plc:a app.bsky.actor.profile',
      'delete did:plc:b app.bsky.feed.like',
    ])
    assert.deepEqual(names(createTailFilter({ collections: ['*'] })).length, 4)
    assert.deepEqual(names(createTailFilter({ collections: ['fm.teal.alpha.play', 'app.bsky.feed.like'] })), [
      'delete did:plc:b app.bsky.feed.like',
      'create did:plc:b fm.teal.alpha.play',
    ])
  })

  test('--action', () => {
    assert.deepEqual(names(createTailFilter({ actions: ['create'] })), [
      'create did:plc:a app.bsky.feed.post',
      'create did:plc:b fm.teal.alpha.play',
    ])
    assert.deepEqual(names(createTailFilter({ actions: ['account', 'identity', 'sync', 'info'] })), [
      'account did:plc:a',
      'identity did:plc:b',
      'sync did:plc:b',
      'info',
    ])
  })

  test('filters combine (all must pass), unreadable messages never pass one', () => {
    const keep = createTailFilter({
      dids: ['did:plc:b'],
      actions: ['create', 'delete'],
      collections: ['app.bsky'],
    })
    assert.deepEqual(names(keep), ['delete did:plc:b app.bsky.feed.like'])
    assert.equal(keep(undefined), false)
    assert.equal(createTailFilter({ actions: ['info'] })(undefined), false)
  })
})
