// subscribeLabels frames → labels, with each problem a counted drop and the seq kept.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesWrapper, encode } from '@atcute/cbor'
import { decodeLabelsFrame } from '../../../../src/sources/labels/decode-labels-frame.ts'
import { labelJson } from '../../../../src/sources/labels/label.ts'

const frame = (header: unknown, body: unknown) => new Uint8Array(Buffer.concat([encode(header), encode(body)]))
const limits = { maxLabels: 3, maxBodyBytes: 4096 }
const raw = (fields: Record<string, unknown> = {}) => ({
  ver: 1,
  src: 'did:plc:labelerlabelerlabelerla',
  uri: 'at://did:plc:subjectsubjectsubjectsu/app.bsky.feed.post/3l2s5xxv2ze2c',
  cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  val: 'spam',
  cts: '2026-12-07T10:00:00.000Z',
  sig: new BytesWrapper(new Uint8Array(64).fill(7)),
  ...fields,
})

test('#labels: each label kept as sent, keyed by its subject; a bad label is a drop beside the good ones', () => {
  const f = decodeLabelsFrame(
    frame({ op: 1, t: '#labels' }, { seq: 42, labels: [raw(), raw({ uri: 'did:plc:accountaccountaccountac', neg: true, cid: undefined }), raw({ val: 7 })] }),
    limits,
  )
  assert.equal(f.seq, 42)
  assert.equal(f.labels.length, 2)
  assert.equal(f.labels[0]!.subject, 'did:plc:subjectsubjectsubjectsu')
  assert.equal(f.labels[1]!.subject, 'did:plc:accountaccountaccountac')
  assert.equal(f.labels[1]!.neg, true)
  assert.deepEqual(f.drops, [{ reason: 'invalid_event', detail: '#labels seq=42: val is not a string of at most 128 bytes' }])
  const json = JSON.parse(labelJson(f.labels[0]!))
  assert.equal(json.cid, 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')
  assert.equal(json.sig.$bytes, Buffer.from(new Uint8Array(64).fill(7)).toString('base64').replace(/=+$/, ''))
})

test('bounds: too many labels, or a body too large, drop the frame (its seq kept when read)', () => {
  const many = decodeLabelsFrame(frame({ op: 1, t: '#labels' }, { seq: 7, labels: [raw(), raw(), raw(), raw()] }), limits)
  assert.equal(many.seq, 7)
  assert.deepEqual(many.labels, [])
  assert.equal(many.drops[0]!.reason, 'lexicon_limit')
  const big = decodeLabelsFrame(frame({ op: 1, t: '#labels' }, { seq: 8, labels: [raw({ val: 'x'.repeat(100) })] }), { ...limits, maxBodyBytes: 100 })
  assert.equal(big.drops[0]!.reason, 'lexicon_limit')
})

test('#info, error frames, unknown types and garbage', () => {
  assert.deepEqual(decodeLabelsFrame(frame({ op: 1, t: '#info' }, { name: 'OutdatedCursor', message: 'm' }), limits), {
    labels: [],
    drops: [],
    info: { name: 'OutdatedCursor', message: 'm' },
  })
  assert.deepEqual(decodeLabelsFrame(frame({ op: -1 }, { error: 'FutureCursor' }), limits).error, { name: 'FutureCursor' })
  const unknown = decodeLabelsFrame(frame({ op: 1, t: '#other' }, { seq: 9 }), limits)
  assert.equal(unknown.seq, 9)
  assert.equal(unknown.drops[0]!.reason, 'unknown_kind')
  assert.equal(decodeLabelsFrame(new Uint8Array([0xff, 0x00]), limits).drops[0]!.reason, 'malformed_frame')
  assert.equal(decodeLabelsFrame(frame({ op: 1, t: '#labels' }, { labels: [] }), limits).drops[0]!.reason, 'invalid_event')
})
