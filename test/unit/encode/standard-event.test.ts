import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BytesWrapper, CidLinkWrapper, decode, encode, toBytes, toCidLink } from '@atcute/cbor'
import * as CID from '@atcute/cid'
import { messageKey, NO_DID_KEY, toStandardJson } from '../../../src/encode/standard-event.ts'
import type { OperationEvent } from '../../../src/events/atproto-event.ts'
import { RawJson } from '../../../src/events/raw-json.ts'
import { cases, did, inner, time } from './encode-cases.ts'

describe('standard JSON', () => {
  for (const c of cases) {
    test(c.name, () => {
      const json = toStandardJson(c.event, c.metadata)
      assert.equal(json, c.json)
      const parsed = JSON.parse(json) as Record<string, unknown>
      assert.deepEqual(parsed, JSON.parse(c.json))
      assert.deepEqual(Object.keys(parsed), c.keys)
      assert.deepEqual(Object.keys(inner(parsed, c.event)), c.innerKeys)
    })
  }

  test('a delete carries record null and cid "" (as the Go original), even if the event has them', () => {
    const json = toStandardJson({
      kind: 'operation',
      did,
      rev: 'r',
      time,
      action: 'delete',
      collection: 'a.b.c',
      rkey: 'k',
      cid: 'bafy',
      record: { text: 'stale' },
    })
    const op = (JSON.parse(json) as { operation: Record<string, unknown> }).operation
    assert.equal(op.cid, '')
    assert.ok('record' in op)
    assert.equal(op.record, null)
  })

  test('strings are JSON-escaped (quotes, control characters, non-ASCII)', () => {
    const text = 'say "hi"\n\u0000 — ✓ 😀'
    const json = toStandardJson({
      kind: 'operation',
      did,
      rev: 'r',
      time,
      action: 'create',
      collection: 'a.b.c',
      rkey: 'k',
      cid: 'bafy',
      record: { text },
    })
    assert.equal(
      (JSON.parse(json) as { operation: { record: { text: string } } }).operation.record.text,
      text,
    )
  })
})

test('records decoded by @atcute/cbor serialize to the data model ($link, $bytes, blobs)', async () => {
  const linked = await CID.create(CID.CODEC_DCBOR, encode({ text: 'parent' }))
  const image = await CID.create(CID.CODEC_RAW, new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
  const value = {
    $type: 'app.bsky.feed.post',
    text: 'hello',
    createdAt: time,
    reply: {
      root: { uri: `at://${did}/app.bsky.feed.post/p`, cid: CID.toString(linked) },
      parent: { uri: `at://${did}/app.bsky.feed.post/p`, cid: CID.toString(linked) },
    },
    embed: {
      $type: 'app.bsky.embed.images',
      images: [
        {
          alt: '',
          image: { $type: 'blob', ref: toCidLink(image), mimeType: 'image/png', size: 4 },
        },
      ],
    },
    link: toCidLink(linked),
    raw: toBytes(new Uint8Array([1, 2, 3, 250])),
    langs: ['en'],
    n: -7,
  }
  const block = encode(value)
  const recordCid = await CID.create(CID.CODEC_DCBOR, block)
  const record = decode(block) as Record<string, unknown>
  // the wrappers really are what the relay source hands over
  assert.ok(record.link instanceof CidLinkWrapper)
  assert.ok(record.raw instanceof BytesWrapper)

  const event: OperationEvent = {
    kind: 'operation',
    did,
    seq: 1,
    rev: 'r',
    time,
    action: 'create',
    collection: 'app.bsky.feed.post',
    rkey: 'p2',
    cid: CID.toString(recordCid),
    record,
  }
  const parsed = JSON.parse(toStandardJson(event)) as { operation: { cid: string; record: unknown } }
  assert.equal(parsed.operation.cid, CID.toString(recordCid))
  assert.deepEqual(parsed.operation.record, {
    ...value,
    embed: {
      $type: 'app.bsky.embed.images',
      images: [
        {
          alt: '',
          image: { $type: 'blob', ref: { $link: CID.toString(image) }, mimeType: 'image/png', size: 4 },
        },
      ],
    },
    link: { $link: CID.toString(linked) },
    raw: { $bytes: 'AQID+g' },
  })
  // DAG-CBOR sorts map keys (length first); the JSON keeps the decoded order
  assert.deepEqual(Object.keys(parsed.operation.record as object), Object.keys(record))
})

test('Kafka key: the DID, or "<unknown>" for info events', () => {
  assert.equal(NO_DID_KEY, '<unknown>')
  for (const c of cases) {
    assert.equal(messageKey(c.event), c.event.kind === 'info' ? '<unknown>' : did, c.name)
  }
})

test('RawJson writes strings as UTF-8 and bytes as they are, in order, and knows its size', () => {
  const parts = ['{"a":"é",', Buffer.from('"b":"😀",'), '"c":', new Uint8Array([0x31]), '}']
  const raw = new RawJson(parts)
  const expected = '{"a":"é","b":"😀","c":1}'
  assert.equal(raw.json, expected)
  assert.equal(raw.byteLength, Buffer.byteLength(expected))
  const out = Buffer.alloc(raw.byteLength + 4)
  assert.equal(raw.writeTo(out, 2), 2 + raw.byteLength)
  assert.equal(out.subarray(2, 2 + raw.byteLength).toString(), expected)
})
