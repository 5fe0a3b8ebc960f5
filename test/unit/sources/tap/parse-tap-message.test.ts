// parseTapMessage: both Tap spellings of every event, and every way a frame can be wrong.
// Dropped frames keep their id when they have a usable one (the source still acks those).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DropReason } from '../../../../src/errors.ts'
import { MAX_RECORD_DEPTH } from '../../../../src/events/record-limits.ts'
import { parseTapMessage } from '../../../../src/sources/tap/parse-tap-message.ts'
import { identityEvent, recordEvent } from '../../../helpers/fake-tap.ts'

const NOW = Date.parse('2026-07-04T14:40:00.000Z')
const RECEIVED = '2026-07-04T14:40:00.000Z'
const DID = 'did:plc:wq4aajammjtxdomz3e23667t'
const LIKE = {
  $type: 'app.bsky.feed.like',
  createdAt: '2026-07-04T14:38:08.999Z',
  subject: {
    cid: 'bafyreiftot7eltsc3f6g4qktykmbv6jcmdmhcx5osscan6jpdxkpqcmcza',
    uri: 'at://did:plc:r2zybk6op3ymzpz6jhqpkoy5/app.bsky.feed.post/3mpsjbtci2c2o',
  },
}
const CID = 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i'

const parse = (frame: unknown) =>
  parseTapMessage(typeof frame === 'string' ? frame : JSON.stringify(frame), NOW)

describe('valid events', () => {
  test('a record create, as Tap writes it', () => {
    const got = parse(recordEvent(7, { live: false }))
    assert.deepEqual(got, {
      id: 7,
      event: {
        kind: 'operation',
        did: DID,
        tapId: 7,
        rev: '3mptbypluud2a',
        time: '2026-07-04T14:38:08.999Z',
        action: 'create',
        collection: 'app.bsky.feed.like',
        rkey: '3mptbyplj5d2a',
        cid: CID,
        record: LIKE,
        live: false,
      },
    })
  })

  test('an update keeps live and rev', () => {
    const got = parse(recordEvent(8, { action: 'update', live: true, rev: '3mptc000000aa' }))
    assert.equal(got.drop, undefined)
    assert.equal(got.event?.kind, 'operation')
    assert.equal(got.event?.kind === 'operation' && got.event.action, 'update')
    assert.equal(got.event?.kind === 'operation' && got.event.live, true)
    assert.equal(got.event?.kind === 'operation' && got.event.rev, '3mptc000000aa')
  })

  test('a delete has no cid or record, and its time comes from the rkey', () => {
    const got = parse(recordEvent(9, { action: 'delete', rkey: '3mptbyplj5d2a' }))
    assert.deepEqual(got, {
      id: 9,
      event: {
        kind: 'operation',
        did: DID,
        tapId: 9,
        rev: '3mptbypluud2a',
        time: '2026-07-04T14:38:07.502Z', // the rkey TID's time
        action: 'delete',
        collection: 'app.bsky.feed.like',
        rkey: '3mptbyplj5d2a',
        live: true,
      },
    })
  })

  test('a delete that carries a cid and a record anyway: both ignored', () => {
    const frame = recordEvent(10, { action: 'delete' }) as { record: Record<string, unknown> }
    frame.record.cid = CID
    frame.record.record = LIKE
    const got = parse(frame)
    assert.equal(got.event?.kind === 'operation' && got.event.cid, undefined)
    assert.equal(got.event?.kind === 'operation' && got.event.record, undefined)
  })

  test('identity + is_active (what Tap writes) and user + isActive (its README, the Go original)', () => {
    const want = {
      id: 11,
      event: {
        kind: 'identity',
        did: DID,
        tapId: 11,
        time: RECEIVED,
        handle: 'alice.test',
        isActive: true,
        status: 'active',
      },
    }
    assert.deepEqual(parse(identityEvent(11)), want)
    assert.deepEqual(parse(identityEvent(11, { spelling: 'user' })), want)
    // either body key under either type name, either field spelling
    assert.deepEqual(
      parse({
        id: 11,
        type: 'user',
        identity: { did: DID, handle: 'alice.test', is_active: true, status: 'active' },
      }),
      want,
    )
    assert.deepEqual(
      parse({
        id: 11,
        type: 'identity',
        user: { did: DID, handle: 'alice.test', isActive: true, status: 'active' },
      }),
      want,
    )
  })

  test('identity: inactive with a status, empty or missing handle, missing status', () => {
    const got = parse(identityEvent(12, { isActive: false, status: 'takendown', handle: 'handle.invalid' }))
    assert.deepEqual(got.event, {
      kind: 'identity',
      did: DID,
      tapId: 12,
      time: RECEIVED,
      handle: 'handle.invalid',
      isActive: false,
      status: 'takendown',
    })
    assert.equal(
      parse({
        id: 1,
        type: 'identity',
        identity: { did: DID, handle: '', is_active: true, status: 'active' },
      }).event?.kind,
      'identity',
    )
    const bare = parse({ id: 1, type: 'identity', identity: { did: DID, is_active: true } })
    assert.deepEqual(bare.event, {
      kind: 'identity',
      did: DID,
      tapId: 1,
      time: RECEIVED,
      handle: undefined,
      isActive: true,
      status: undefined,
    })
  })

  test('unknown fields are ignored; id 0 is usable', () => {
    const frame = { ...(recordEvent(0) as { record: Record<string, unknown> }), extra: { nested: true } }
    frame.record.future = 'field'
    const got = parse(frame)
    assert.equal(got.id, 0)
    assert.equal(got.drop, undefined)
  })

  test('the record is passed on as parsed JSON ($link, $bytes, blobs untouched)', () => {
    const record = {
      $type: 'app.bsky.feed.post',
      text: 'héllo 🌍',
      createdAt: '2026-07-04T14:38:06.240Z',
      embed: {
        $type: 'app.bsky.embed.images',
        images: [
          {
            alt: '',
            image: {
              $type: 'blob',
              ref: { $link: 'bafkreias7oxbr6swsuggccmtnqpoeami4jza5x4w3urltn6gzhqf4k6k2e' },
              mimeType: 'image/jpeg',
              size: 119635,
            },
          },
        ],
      },
      raw: { $bytes: 'aGVsbG8' },
    }
    const got = parse(recordEvent(1, { collection: 'app.bsky.feed.post', record }))
    assert.deepEqual(got.event?.kind === 'operation' && got.event.record, record)
  })
})

describe('dropped frames', () => {
  const drop = (frame: unknown, reason: DropReason, id?: number) => {
    const got = parse(frame)
    assert.equal(got.event, undefined, `no event for ${JSON.stringify(frame).slice(0, 120)}`)
    assert.equal(got.drop?.reason, reason, `${JSON.stringify(frame).slice(0, 120)}: ${got.drop?.message}`)
    assert.equal(got.id, id, `id of ${JSON.stringify(frame).slice(0, 120)}`)
  }
  const withRecord = (patch: Record<string, unknown>, id = 5) => {
    const frame = recordEvent(id) as { record: Record<string, unknown> }
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete frame.record[k]
      else frame.record[k] = v
    }
    return frame
  }
  const withIdentity = (patch: Record<string, unknown>, id = 6) => {
    const frame = identityEvent(id) as { identity: Record<string, unknown> }
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete frame.identity[k]
      else frame.identity[k] = v
    }
    return frame
  }

  test('not JSON: malformed_frame, no id', () => {
    for (const text of ['', ' ', '{', 'not json', '{"id":1,"type":"record"', "{'id':1}", '{"id":1}}']) {
      drop(text, 'malformed_frame')
    }
    // cut anywhere, a real event is malformed
    const full = JSON.stringify(recordEvent(3))
    for (let n = 0; n < full.length; n++) {
      const got = parseTapMessage(full.slice(0, n), NOW)
      assert.equal(got.event, undefined, `prefix ${n}`)
      assert.ok(got.drop, `prefix ${n}`)
    }
  })

  test('JSON that is not an object: invalid_event, no id', () => {
    for (const text of ['[]', '[{"id":1}]', 'null', '42', '"record"', 'true']) drop(text, 'invalid_event')
  })

  test('no usable id: invalid_event and no id (it cannot be acked)', () => {
    for (const id of [undefined, null, '1', -1, 1.5, 2 ** 53, Number.NaN, [1], { n: 1 }]) {
      const frame = { ...(recordEvent(1) as object), id }
      drop(frame, 'invalid_event')
    }
  })

  test('type missing or not a string: invalid_event with the id', () => {
    drop({ id: 4, record: {} }, 'invalid_event', 4)
    drop({ ...(recordEvent(4) as object), type: 1 }, 'invalid_event', 4)
    drop({ ...(recordEvent(4) as object), type: null }, 'invalid_event', 4)
  })

  test('unknown type: unknown_kind with the id', () => {
    for (const type of ['commit', 'account', 'Record', 'IDENTITY', '', 'x'.repeat(10_000)]) {
      drop({ id: 4, type, record: {} }, 'unknown_kind', 4)
    }
  })

  test('record events of the wrong shape: invalid_event with the id', () => {
    drop({ id: 5, type: 'record' }, 'invalid_event', 5)
    drop({ id: 5, type: 'record', record: null }, 'invalid_event', 5)
    drop({ id: 5, type: 'record', record: [] }, 'invalid_event', 5)
    drop({ id: 5, type: 'record', record: 'x' }, 'invalid_event', 5)
    drop({ id: 5, type: 'record', identity: { did: DID } }, 'invalid_event', 5)
    const bad: Record<string, unknown>[] = [
      { live: undefined },
      { live: 'true' },
      { live: 1 },
      { did: undefined },
      { did: 'alice.test' },
      { did: 'did:PLC:abc' },
      { did: 'did:plc:' },
      { did: 42 },
      { rev: undefined },
      { rev: '' },
      { rev: 3 },
      { collection: undefined },
      { collection: '' },
      { collection: 'app' },
      { collection: 'app.bsky.feed.post/3abc' },
      { collection: 'app.bsky.feed.*' },
      { rkey: undefined },
      { rkey: '' },
      { rkey: '.' },
      { rkey: '..' },
      { rkey: 'a/b' },
      { rkey: 'with space' },
      { rkey: 7 },
      { action: undefined },
      { action: 'upsert' },
      { action: 'CREATE' },
      { cid: undefined },
      { cid: '' },
      { cid: { $link: CID } },
    ]
    for (const patch of bad) drop(withRecord(patch), 'invalid_event', 5)
    drop(withRecord({ action: 'update', cid: undefined }), 'invalid_event', 5)
  })

  test('a create/update without a usable record: invalid_record with the id', () => {
    drop(withRecord({ record: undefined }), 'invalid_record', 5)
    drop(withRecord({ record: null }), 'invalid_record', 5)
    drop(withRecord({ action: 'update', record: undefined }), 'invalid_record', 5)
    drop(withRecord({ record: [] }), 'invalid_record', 5)
    drop(withRecord({ record: 'text' }), 'invalid_record', 5)
    drop(withRecord({ record: 3 }), 'invalid_record', 5)
  })

  test(`a record nesting deeper than ${MAX_RECORD_DEPTH}: invalid_record (JSON.stringify would overflow)`, () => {
    const nest = (depth: number) => {
      let v: unknown = 'leaf'
      for (let i = 0; i < depth; i++) v = i % 2 ? { v } : [v]
      return v
    }
    drop(withRecord({ record: { $type: 'x.y.z', deep: nest(MAX_RECORD_DEPTH) } }), 'invalid_record', 5)
    // too deep for JSON.stringify itself: written by hand
    const text = JSON.stringify(withRecord({ record: { $type: 'x.y.z', deep: 'DEEP' } }))
    drop(text.replace('"DEEP"', `${'['.repeat(20_000)}1${']'.repeat(20_000)}`), 'invalid_record', 5)
    assert.equal(
      parse(withRecord({ record: { $type: 'x.y.z', deep: nest(MAX_RECORD_DEPTH - 2) } })).drop,
      undefined,
    )
  })

  test('identity events of the wrong shape: invalid_event with the id', () => {
    drop({ id: 6, type: 'identity' }, 'invalid_event', 6)
    drop({ id: 6, type: 'identity', identity: [] }, 'invalid_event', 6)
    drop({ id: 6, type: 'user', record: { did: DID } }, 'invalid_event', 6)
    const bad: Record<string, unknown>[] = [
      { did: undefined },
      { did: 'alice.test' },
      { is_active: undefined },
      { is_active: 'true' },
      { is_active: 1 },
      { handle: 1 },
      { handle: {} },
      { status: 1 },
      { status: ['active'] },
    ]
    for (const patch of bad) drop(withIdentity(patch), 'invalid_event', 6)
  })
})
