// subscribeLabels frames → label events (kept as sent, keyed by the subject), with each problem
// a counted drop and the seq kept.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesWrapper, encode } from '@atcute/cbor'
import { labelsFrameDecoder } from '../../../../src/sources/labels/labels-frame.ts'

const LABELER = 'did:plc:labelerlabelerlabelerla'
const frame = (header: unknown, body: unknown) =>
  new Uint8Array(Buffer.concat([encode(header), encode(body)]))
const decode = labelsFrameDecoder(LABELER, { maxLabels: 3, maxBodyBytes: 4096 })
const now = () => '2026-12-07T10:00:00.000Z'
const raw = (fields: Record<string, unknown> = {}) => ({
  ver: 1,
  src: LABELER,
  uri: 'at://did:plc:subjectsubjectsubjectsu/app.bsky.feed.post/3l2s5xxv2ze2c',
  cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  val: 'spam',
  cts: '2026-12-07T09:00:00.000Z',
  sig: new BytesWrapper(new Uint8Array(64).fill(7)),
  ...fields,
})

test('#labels: one event per label, as sent, keyed by its subject; a bad label is a drop beside the good ones', () => {
  const { cid: _cid, ...account } = raw({
    uri: 'did:plc:accountaccountaccountac',
    neg: true,
    exp: '2027-01-01T00:00:00.000Z',
  })
  const f = decode(
    frame({ op: 1, t: '#labels' }, { seq: 42, labels: [raw(), account, raw({ val: 7 })] }),
    now,
  )
  assert.equal(f.seq, 42)
  assert.equal(f.events.length, 2)
  const [a, b] = f.events
  assert.ok(a?.kind === 'label' && b?.kind === 'label')
  assert.deepEqual(
    {
      did: a.did,
      seq: a.seq,
      index: a.index,
      labeler: a.labeler,
      time: a.time,
      src: a.src,
      val: a.val,
      neg: a.neg,
    },
    {
      did: 'did:plc:subjectsubjectsubjectsu',
      seq: 42,
      index: 0,
      labeler: LABELER,
      time: '2026-12-07T09:00:00.000Z',
      src: LABELER,
      val: 'spam',
      neg: false,
    },
  )
  assert.equal(b.did, 'did:plc:accountaccountaccountac')
  assert.equal(b.index, 1)
  assert.equal(b.neg, true)
  // carried exactly: every field, sig as {$bytes}, exp, no cid where none was sent
  assert.deepEqual(JSON.parse(JSON.stringify(b.label)), {
    ver: 1,
    src: LABELER,
    uri: 'did:plc:accountaccountaccountac',
    val: 'spam',
    cts: '2026-12-07T09:00:00.000Z',
    sig: { $bytes: Buffer.from(new Uint8Array(64).fill(7)).toString('base64').replace(/=+$/, '') },
    neg: true,
    exp: '2027-01-01T00:00:00.000Z',
  })
  assert.equal(f.drops.length, 1)
  assert.equal(f.drops[0]!.reason, 'invalid_event')
  assert.match(f.drops[0]!.message, /seq=42 label 2: val is not a string/)
})

test('bounds: too many labels, or a body past its limit, drop the frame (its seq kept when read)', () => {
  const many = decode(frame({ op: 1, t: '#labels' }, { seq: 7, labels: [raw(), raw(), raw(), raw()] }), now)
  assert.equal(many.seq, 7)
  assert.deepEqual(many.events, [])
  assert.equal(many.drops[0]!.reason, 'lexicon_limit')
  const small = labelsFrameDecoder(LABELER, { maxLabels: 3, maxBodyBytes: 100 })
  const big = small(frame({ op: 1, t: '#labels' }, { seq: 8, labels: [raw()] }), now)
  assert.equal(big.drops[0]!.reason, 'lexicon_limit')
})

test('#info becomes an info event; error frames, unknown types and garbage', () => {
  const info = decode(frame({ op: 1, t: '#info' }, { name: 'OutdatedCursor', message: 'm' }), now)
  assert.deepEqual(info.events, [{ kind: 'info', name: 'OutdatedCursor', message: 'm', time: now() }])
  assert.deepEqual(decode(frame({ op: -1 }, { error: 'FutureCursor' }), now).error, { name: 'FutureCursor' })
  const unknown = decode(frame({ op: 1, t: '#other' }, { seq: 9 }), now)
  assert.equal(unknown.seq, 9)
  assert.equal(unknown.drops[0]!.reason, 'unknown_kind')
  assert.equal(decode(new Uint8Array([0xff, 0x00]), now).drops[0]!.reason, 'malformed_frame')
  assert.equal(decode(frame({ op: 1, t: '#labels' }, { labels: [] }), now).drops[0]!.reason, 'invalid_event')
  // a subject that names no DID cannot be keyed
  const handleUri = decode(
    frame(
      { op: 1, t: '#labels' },
      { seq: 10, labels: [raw({ uri: 'at://alice.test/app.bsky.feed.post/x' })] },
    ),
    now,
  )
  assert.match(handleUri.drops[0]!.message, /uri names no DID/)
})
