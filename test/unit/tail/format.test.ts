import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { createSnowflake } from '../../../src/encode/snowflake.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { formatEvent, formatUnknown, recordPreview, shorten } from '../../../src/tail/format.ts'
import { parseEventValue } from '../../../src/tail/read-event.ts'

const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const time = '2026-07-04T14:38:08.999Z'
const line = (event: AtprotoEvent, format: 'standard' | 'osprey' = 'standard') => {
  const read = parseEventValue(
    encodeEvent(event, { format, snowflake: createSnowflake({ workerId: 0 }) }).value.toString(),
  )
  assert.ok(read)
  return formatEvent(read)
}
const op = (action: 'create' | 'update' | 'delete', collection: string, record?: unknown): AtprotoEvent => ({
  kind: 'operation',
  did,
  seq: 1,
  rev: 'r',
  time,
  action,
  collection,
  rkey: '3mptbyplj5d2a',
  ...(record === undefined ? {} : { cid: 'bafy', record }),
})

const LABELER = 'did:plc:labelerlabelerlabelerla'
const label = (fields: {
  uri: string
  val: string
  cid?: string
  neg?: boolean
  exp?: string
}): AtprotoEvent => ({
  kind: 'label',
  did,
  seq: 5,
  index: 0,
  labeler: LABELER,
  time,
  src: LABELER,
  val: fields.val,
  neg: fields.neg ?? false,
  label: { ver: 1, src: LABELER, cts: time, ...fields },
})

describe('formatEvent', () => {
  test('one readable line per kind, the same for both envelopes', () => {
    const cases: [AtprotoEvent, string][] = [
      [
        op('create', 'app.bsky.feed.post', {
          $type: 'app.bsky.feed.post',
          text: 'hello\n\nworld',
          createdAt: time,
        }),
        `${time} ${did} create   app.bsky.feed.post/3mptbyplj5d2a "hello world"`,
      ],
      [
        op('create', 'app.bsky.feed.like', {
          $type: 'app.bsky.feed.like',
          subject: { uri: 'at://did:plc:x/app.bsky.feed.post/1', cid: 'bafy' },
          createdAt: time,
        }),
        `${time} ${did} create   app.bsky.feed.like/3mptbyplj5d2a → at://did:plc:x/app.bsky.feed.post/1`,
      ],
      [
        op('create', 'app.bsky.graph.follow', {
          $type: 'app.bsky.graph.follow',
          subject: 'did:plc:y',
          createdAt: time,
        }),
        `${time} ${did} create   app.bsky.graph.follow/3mptbyplj5d2a → did:plc:y`,
      ],
      [
        op('update', 'app.bsky.actor.profile', { $type: 'app.bsky.actor.profile', displayName: 'Alice' }),
        `${time} ${did} update   app.bsky.actor.profile/3mptbyplj5d2a "Alice"`,
      ],
      [op('delete', 'app.bsky.feed.post'), `${time} ${did} delete   app.bsky.feed.post/3mptbyplj5d2a`],
      [
        { kind: 'account', did, seq: 2, time, active: false, status: 'deactivated' },
        `${time} ${did} account  active=false status=deactivated`,
      ],
      [{ kind: 'account', did, seq: 2, time, active: true }, `${time} ${did} account  active=true`],
      [
        { kind: 'identity', did, seq: 3, time, handle: 'alice.bsky.social' },
        `${time} ${did} identity handle=alice.bsky.social`,
      ],
      [{ kind: 'identity', did, seq: 3, time }, `${time} ${did} identity handle=-`],
      [{ kind: 'sync', did, seq: 4, rev: '3mpt', time }, `${time} ${did} sync     rev=3mpt`],
      [
        { kind: 'info', name: 'OutdatedCursor', message: 'cursor is\ntoo old', time },
        `${time} - info     OutdatedCursor: cursor is too old`,
      ],
      [
        label({ uri: `at://${did}/app.bsky.feed.post/3l2s`, cid: 'bafyrei', val: 'spam' }),
        `${time} ${did} label    +spam at://${did}/app.bsky.feed.post/3l2s cid=bafyrei by ${LABELER}`,
      ],
      [
        label({ uri: did, val: '!hide', neg: true, exp: '2027-01-01T00:00:00.000Z' }),
        `${time} ${did} label    -!hide ${did} by ${LABELER} exp=2027-01-01T00:00:00.000Z`,
      ],
    ]
    for (const [event, want] of cases) {
      assert.equal(line(event), want)
      assert.equal(line(event, 'osprey'), want)
    }
  })

  test('record previews are short and single-line', () => {
    const long = 'x'.repeat(500)
    const got = line(op('create', 'app.bsky.feed.post', { text: long }))
    assert.ok(!got.includes('\n'))
    assert.ok(got.endsWith(`"${'x'.repeat(79)}…"`), got)
    assert.equal(recordPreview({ $type: 'x.y', createdAt: time, score: 3 }), '{"score":3}')
    assert.equal(recordPreview({ $type: 'x.y', createdAt: time }), '')
    // a delete's record is null (as the Go original writes it): no preview
    assert.equal(recordPreview(null), '')
    assert.equal(recordPreview(undefined), '')
    assert.equal(shorten('  a \t b  '), 'a b')
  })

  test('unknown messages say where they are', () => {
    assert.equal(
      formatUnknown('not\njson', { partition: 3, offset: 42n }),
      '? partition 3 offset 42: not json',
    )
  })
})
