import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decode, encode, toBytes, toCidLink } from '@atcute/cbor'
import * as CID from '@atcute/cid'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { ospreyActionName, sendTime } from '../../../src/encode/osprey-envelope.ts'
import { createSnowflake } from '../../../src/encode/snowflake.ts'
import { messageKey, NO_DID_KEY, toStandardJson } from '../../../src/encode/standard-event.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'

const did = 'did:plc:alice'
const time = '2026-07-04T14:38:08.999Z'

test('each kind in the Go original’s shape, with seq and rev added', () => {
  const cases: [AtprotoEvent, string][] = [
    [
      {
        kind: 'operation',
        did,
        seq: 7,
        rev: 'r1',
        time,
        action: 'create',
        collection: 'app.bsky.feed.post',
        rkey: 'k',
        cid: 'bafy',
        record: { text: 'hi' },
      },
      `{"did":"${did}","timestamp":"${time}","seq":7,"operation":{"action":"create","collection":"app.bsky.feed.post","rkey":"k","uri":"at://${did}/app.bsky.feed.post/k","cid":"bafy","path":"app.bsky.feed.post/k","rev":"r1","record":{"text":"hi"}}}`,
    ],
    [
      {
        kind: 'operation',
        did,
        seq: 8,
        rev: 'r2',
        time,
        action: 'delete',
        collection: 'app.bsky.feed.post',
        rkey: 'k',
      },
      `{"did":"${did}","timestamp":"${time}","seq":8,"operation":{"action":"delete","collection":"app.bsky.feed.post","rkey":"k","uri":"at://${did}/app.bsky.feed.post/k","cid":"","path":"app.bsky.feed.post/k","rev":"r2"}}`,
    ],
    [
      {
        kind: 'operation',
        did,
        rev: 'r3',
        time,
        action: 'update',
        collection: 'c.d',
        rkey: 'k',
        cid: 'bafy',
        record: {},
        live: false,
      },
      `{"did":"${did}","timestamp":"${time}","operation":{"action":"update","collection":"c.d","rkey":"k","uri":"at://${did}/c.d/k","cid":"bafy","path":"c.d/k","rev":"r3","live":false,"record":{}}}`,
    ],
    [
      { kind: 'account', did, seq: 9, time, active: false, status: 'deactivated' },
      `{"did":"${did}","timestamp":"${time}","seq":9,"account":{"active":false,"seq":9,"status":"deactivated"}}`,
    ],
    [
      { kind: 'identity', did, seq: 10, time },
      `{"did":"${did}","timestamp":"${time}","seq":10,"identity":{"seq":10,"handle":""}}`,
    ],
    [
      { kind: 'identity', did, time, handle: 'a.test', isActive: true, status: 'active' },
      `{"did":"${did}","timestamp":"${time}","identity":{"handle":"a.test","isActive":true,"status":"active"}}`,
    ],
    [
      { kind: 'sync', did, seq: 11, rev: 'r4', time },
      `{"did":"${did}","timestamp":"${time}","seq":11,"sync":{"seq":11,"rev":"r4"}}`,
    ],
    [
      { kind: 'info', name: 'OutdatedCursor', time },
      `{"did":"","timestamp":"${time}","info":{"name":"OutdatedCursor"}}`,
    ],
  ]
  for (const [event, json] of cases) assert.equal(toStandardJson(event), json)
  assert.equal(messageKey(cases[0]?.[0] as AtprotoEvent), did)
  assert.equal(messageKey({ kind: 'info', name: 'x', time }), NO_DID_KEY)
  assert.equal(NO_DID_KEY, '<unknown>')
})

test('records decoded by atcute serialize to the data model ($link, $bytes, blobs)', async () => {
  const cid = await CID.create(0x71, new TextEncoder().encode('block'))
  const bytes = encode({
    $type: 'app.bsky.feed.post',
    embed: { $type: 'blob', ref: toCidLink(cid), mimeType: 'image/png', size: 3 },
    raw: toBytes(new Uint8Array([1, 2, 3])),
  })
  const record = decode(bytes)
  const json = toStandardJson({
    kind: 'operation',
    did,
    rev: 'r',
    time,
    action: 'create',
    collection: 'c.d',
    rkey: 'k',
    cid: 'x',
    record,
  })
  const parsed = JSON.parse(json) as { operation: { record: unknown } }
  assert.deepEqual(parsed.operation.record, {
    $type: 'app.bsky.feed.post',
    embed: { $type: 'blob', ref: { $link: CID.toString(cid) }, mimeType: 'image/png', size: 3 },
    raw: { $bytes: 'AQID' },
  })
})

test('Osprey action names and send_time', () => {
  assert.equal(
    ospreyActionName({
      kind: 'operation',
      did,
      rev: 'r',
      time,
      action: 'update',
      collection: 'c',
      rkey: 'k',
    }),
    'operation#update',
  )
  assert.equal(ospreyActionName({ kind: 'sync', did, seq: 1, rev: 'r', time }), 'sync')
  assert.equal(sendTime(time), time)
  assert.equal(sendTime('2026-07-04T16:38:08.999+02:00'), time)
  const fixed = new Date('2030-01-01T00:00:00.000Z')
  assert.equal(
    sendTime('not a time', () => fixed),
    '2030-01-01T00:00:00.000Z',
  )
  const { key, value } = encodeEvent(
    { kind: 'account', did, seq: 3, time, active: true },
    { format: 'osprey', snowflake: createSnowflake({ workerId: 0 }) },
  )
  assert.equal(key, did)
  const env = JSON.parse(value) as {
    send_time: string
    data: { action_name: string; data: unknown; encoding: string }
  }
  assert.equal(env.send_time, time)
  assert.equal(env.data.action_name, 'account')
  assert.deepEqual(env.data.data, { did, timestamp: time, seq: 3, account: { active: true, seq: 3 } })
})
