// Bad input never throws out of decodeFrame: it becomes drops with the right DropReason, only
// the bad op of a commit is dropped, and the seq is kept whenever the body still has one.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import { fromUint8Array } from '@atcute/car'
import { BytesWrapper, type CidLinkWrapper, decode, decodeFirst, encode, toCidLink } from '@atcute/cbor'
import { type Cid, CODEC_DCBOR, CODEC_RAW, fromDigest } from '@atcute/cid'
import type { OperationEvent } from '../../../../src/events/atproto-event.ts'
import { MAX_RECORD_DEPTH } from '../../../../src/events/record-limits.ts'
import type { DecodedFrame } from '../../../../src/sources/event-stream/stream-frame.ts'
import { decodeFrame } from '../../../../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../../../helpers/corpus.ts'
import { encodeCar, encodeFrame } from '../../../helpers/indigo-scenarios.ts'

const now = () => '2026-07-04T14:40:00.000Z'
const frames = readCorpusFrames()
const COMMIT = { op: 1, t: '#commit' }
/** corpus frame 53: a #commit with three creates; 148 and 149: #identity and #account */
const THREE_CREATES = 53

const reasons = (d: DecodedFrame) => d.drops.map((e) => e.reason)
const actions = (d: DecodedFrame) => (d.events as OperationEvent[]).map((e) => `${e.action} ${e.rkey}`)

function cidOf(data: Uint8Array, codec: typeof CODEC_DCBOR | typeof CODEC_RAW = CODEC_DCBOR): Cid {
  return fromDigest(codec, createHash('sha256').update(data).digest())
}

/** a real commit frame's body, decoded (a private copy) */
function commitBody(index: number): Record<string, unknown> {
  const [, rest] = decodeFirst(frames[index]!.slice())
  return decode(rest) as Record<string, unknown>
}

function synthCommit(ops: unknown[], blocks: Uint8Array, seq = 42): Uint8Array {
  return encodeFrame(COMMIT, {
    seq,
    repo: 'did:plc:synthetic',
    rev: '3mptbypluud2a',
    time: '2026-07-04T14:38:07.517Z',
    ops,
    blocks: new BytesWrapper(blocks),
  })
}

describe('truncated and padded frames', () => {
  for (const index of [0, 148, 149]) {
    test(`every strict prefix of corpus frame ${index} is a malformed_frame drop`, () => {
      const frame = frames[index]!
      for (let n = 0; n < frame.length; n++) {
        const d = decodeFrame(frame.subarray(0, n), now)
        assert.deepEqual(reasons(d), ['malformed_frame'], `prefix of ${n} bytes`)
        assert.equal(d.events.length, 0)
        assert.equal(d.seq, undefined)
      }
    })
  }

  test('trailing bytes after the body: malformed_frame, seq kept', () => {
    const frame = frames[0]!
    const seq = decodeFrame(frame, now).seq
    for (const tail of [[0], [0xff, 0xff], [...frames[1]!]]) {
      const d = decodeFrame(new Uint8Array([...frame, ...tail]), now)
      assert.deepEqual(reasons(d), ['malformed_frame'])
      assert.equal(d.events.length, 0)
      assert.equal(d.seq, seq)
    }
  })

  test('empty input, a header alone, non-map header or body', () => {
    const header = encode(COMMIT)
    for (const bytes of [
      new Uint8Array(0),
      header,
      encodeFrame([1, '#commit'], { seq: 1 }),
      encodeFrame({ t: '#commit' }, { seq: 1 }),
      encodeFrame({ op: 1.5, t: '#commit' }, { seq: 1 }),
      encodeFrame(COMMIT, [1, 2]),
      encodeFrame(COMMIT, 'body'),
    ]) {
      assert.deepEqual(reasons(decodeFrame(bytes, now)), ['malformed_frame'])
    }
    assert.deepEqual(reasons(decodeFrame(encodeFrame({ op: 1 }, { seq: 9 }), now)), ['malformed_frame'])
    assert.equal(decodeFrame(encodeFrame({ op: 1 }, { seq: 9 }), now).seq, 9, 'no t: seq kept')
  })

  test('non-canonical DAG-CBOR (unsorted keys) is malformed_frame', () => {
    // {"op": 1, "t": "#x"}: DRISL orders keys by length first, so "t" must come before "op"
    const header = new Uint8Array([0xa2, 0x62, 0x6f, 0x70, 0x01, 0x61, 0x74, 0x62, 0x23, 0x78])
    assert.deepEqual(decode(new Uint8Array([0xa2, 0x61, 0x74, 0x62, 0x23, 0x78, 0x62, 0x6f, 0x70, 0x01])), {
      t: '#x',
      op: 1,
    })
    const d = decodeFrame(new Uint8Array([...header, ...encode({ seq: 1 })]), now)
    assert.deepEqual(reasons(d), ['malformed_frame'])
  })
})

describe('#commit ops and blocks', () => {
  test('a record block missing from the CAR drops that op only (missing_block)', async () => {
    const body = commitBody(THREE_CREATES)
    const ops = body.ops as { cid: CidLinkWrapper; path: string }[]
    const missing = ops[1]!.cid.bytes
    const blocks = [...fromUint8Array((body.blocks as BytesWrapper).buf)]
      .filter((e) => !Buffer.from(e.cid.bytes).equals(missing))
      .map((e) => ({ cid: e.cid, data: e.bytes }))
    const car = await encodeCar(blocks)
    const d = decodeFrame(encodeFrame(COMMIT, { ...body, blocks: new BytesWrapper(car) }), now)
    assert.deepEqual(reasons(d), ['missing_block'])
    assert.equal(d.seq, body.seq)
    assert.deepEqual(
      actions(d),
      [ops[0]!, ops[2]!].map((o) => `create ${o.path.split('/')[1]}`),
    )
  })

  test('a flipped byte in a record block drops that op only (cid_mismatch)', () => {
    const frame = frames[THREE_CREATES]!.slice()
    const [, rest] = decodeFirst(frame)
    const body = decode(rest) as { ops: { cid: CidLinkWrapper }[]; blocks: BytesWrapper }
    const car = body.blocks.buf
    const target = body.ops[1]!.cid.bytes
    const entry = [...fromUint8Array(car)].find((e) => Buffer.from(e.cid.bytes).equals(target))!
    frame[car.byteOffset - frame.byteOffset + entry.bytesStart + 3]! ^= 0x01
    const d = decodeFrame(frame, now)
    assert.deepEqual(reasons(d), ['cid_mismatch'])
    assert.equal(d.events.length, 2)
  })

  test('a block under a raw-codec CID is cid_mismatch even when the hash matches', async () => {
    const record = encode({ $type: 'com.example.x', n: 1 })
    const raw = cidOf(record, CODEC_RAW)
    const car = await encodeCar([{ cid: raw, data: record }])
    const d = decodeFrame(
      synthCommit([{ action: 'create', path: 'com.example.x/a', cid: toCidLink(raw) }], car),
      now,
    )
    assert.deepEqual(reasons(d), ['cid_mismatch'])
  })

  test('a block that hashes right but is not DAG-CBOR, or not a map, is invalid_record', async () => {
    const notCbor = new Uint8Array([0xa1, 0x61]) // a map cut short
    const notMap = encode([1, 2, 3])
    const ok = encode({ $type: 'com.example.x' })
    const car = await encodeCar([notCbor, notMap, ok].map((data) => ({ cid: cidOf(data), data })))
    const op = (rkey: string, data: Uint8Array) => ({
      action: 'create',
      path: `com.example.x/${rkey}`,
      cid: toCidLink(cidOf(data)),
    })
    const d = decodeFrame(synthCommit([op('a', notCbor), op('b', notMap), op('c', ok)], car), now)
    assert.deepEqual(reasons(d), ['invalid_record', 'invalid_record'])
    assert.deepEqual(actions(d), ['create c'])
    assert.deepEqual((d.events[0] as OperationEvent).record, { $type: 'com.example.x' })
  })

  test(`a record nesting deeper than ${MAX_RECORD_DEPTH} levels is invalid_record (JSON.stringify would overflow)`, async () => {
    const nested = (depth: number): Uint8Array => {
      // {"a": [[…[1]…]]}: one map then depth - 1 arrays
      const bytes = new Uint8Array([0xa1, 0x61, 0x61, ...new Array(depth - 1).fill(0x81), 0x01])
      assert.ok(decode(bytes))
      return bytes
    }
    const ok = nested(MAX_RECORD_DEPTH)
    const deep = nested(MAX_RECORD_DEPTH + 1)
    const huge = nested(20_000)
    assert.throws(() => JSON.stringify(decode(huge)), RangeError)
    const car = await encodeCar([ok, deep, huge].map((data) => ({ cid: cidOf(data), data })))
    const op = (rkey: string, data: Uint8Array) => ({
      action: 'create',
      path: `com.example.x/${rkey}`,
      cid: toCidLink(cidOf(data)),
    })
    const d = decodeFrame(synthCommit([op('ok', ok), op('deep', deep), op('huge', huge)], car), now)
    assert.deepEqual(reasons(d), ['invalid_record', 'invalid_record'])
    assert.deepEqual(actions(d), ['create ok'])
    assert.ok(JSON.stringify(d.events))
  })

  test('an unreadable CAR drops every create/update (invalid_car); deletes still go out', () => {
    const cid = toCidLink(cidOf(encode({ a: 1 })))
    const ops = [
      { action: 'create', path: 'com.example.x/a', cid },
      { action: 'delete', path: 'com.example.x/b', cid: null },
      { action: 'update', path: 'com.example.x/c', cid },
    ]
    for (const blocks of [
      new Uint8Array([1, 2, 3, 4]),
      new Uint8Array(0),
      encode({ version: 2, roots: [] }),
    ]) {
      const d = decodeFrame(synthCommit(ops, blocks), now)
      assert.deepEqual(reasons(d), ['invalid_car', 'invalid_car'])
      assert.deepEqual(actions(d), ['delete b'])
      assert.equal(d.seq, 42)
    }
  })

  test('a deletes-only commit never reads its CAR; an empty commit has a seq and no events', () => {
    const del = decodeFrame(
      synthCommit([{ action: 'delete', path: 'com.example.x/b' }], new Uint8Array([9])),
      now,
    )
    assert.deepEqual(reasons(del), [])
    assert.deepEqual(actions(del), ['delete b'])
    assert.equal((del.events[0] as OperationEvent).cid, undefined)
    const empty = decodeFrame(synthCommit([], new Uint8Array(0), 77), now)
    assert.deepEqual(empty, { seq: 77, events: [], drops: [] })
  })

  test('bad paths, actions and cids are invalid_event for that op only', () => {
    const cid = toCidLink(cidOf(encode({ a: 1 })))
    const bad = [
      { action: 'delete', path: 'noslash' },
      { action: 'delete', path: 'a/b/c' },
      { action: 'delete', path: '/rkey' },
      { action: 'delete', path: 'coll/' },
      { action: 'delete', path: 42 },
      { action: 'upsert', path: 'com.example.x/a', cid },
      { action: 'create', path: 'com.example.x/a', cid: null },
      { action: 'create', path: 'com.example.x/a', cid: 'bafy…' },
      'not a map',
    ]
    const d = decodeFrame(
      synthCommit([...bad, { action: 'delete', path: 'com.example.x/ok' }], new Uint8Array(0)),
      now,
    )
    assert.deepEqual(
      reasons(d),
      bad.map(() => 'invalid_event'),
    )
    assert.deepEqual(actions(d), ['delete ok'])
  })

  test('missing or mistyped commit fields drop the commit (invalid_event), seq kept when valid', () => {
    const good = commitBody(0)
    for (const field of ['repo', 'rev', 'time', 'ops', 'blocks']) {
      const { [field]: _, ...without } = good
      const d = decodeFrame(encodeFrame(COMMIT, without), now)
      assert.deepEqual(reasons(d), ['invalid_event'], `without ${field}`)
      assert.equal(d.seq, good.seq)
      assert.match(d.drops[0]!.message, new RegExp(`no ${field}`))
      const wrong = decodeFrame(encodeFrame(COMMIT, { ...good, [field]: 1 }), now)
      assert.deepEqual(reasons(wrong), ['invalid_event'], `mistyped ${field}`)
    }
    for (const seq of [undefined, -1, 'x', 1.5]) {
      const d = decodeFrame(encodeFrame(COMMIT, { ...good, seq }), now)
      assert.deepEqual(reasons(d), ['invalid_event'])
      assert.equal(d.seq, undefined)
    }
  })
})

describe('other message types', () => {
  test('unknown types and the removed #handle/#migrate/#tombstone are unknown_kind, with their seq', () => {
    for (const t of ['#foo', '#handle', '#migrate', '#tombstone']) {
      const d = decodeFrame(encodeFrame({ op: 1, t }, { seq: 123, did: 'did:plc:x', time: now() }), now)
      assert.deepEqual(reasons(d), ['unknown_kind'], t)
      assert.equal(d.seq, 123)
      assert.equal(d.events.length, 0)
    }
    const noSeq = decodeFrame(encodeFrame({ op: 1, t: '#foo' }, { bar: 1 }), now)
    assert.deepEqual(reasons(noSeq), ['unknown_kind'])
    assert.equal(noSeq.seq, undefined)
    const op2 = decodeFrame(encodeFrame({ op: 2, t: '#commit' }, { seq: 5 }), now)
    assert.deepEqual(reasons(op2), ['unknown_kind'])
    assert.equal(op2.seq, 5)
  })

  test('error frames: FutureCursor, ConsumerTooSlow', () => {
    const future = decodeFrame(
      encodeFrame({ op: -1 }, { error: 'FutureCursor', message: 'cursor in the future' }),
      now,
    )
    assert.deepEqual(future, {
      events: [],
      drops: [],
      error: { name: 'FutureCursor', message: 'cursor in the future' },
    })
    const slow = decodeFrame(encodeFrame({ op: -1 }, { error: 'ConsumerTooSlow' }), now)
    assert.deepEqual(slow, { events: [], drops: [], error: { name: 'ConsumerTooSlow' } })
    const bad = decodeFrame(encodeFrame({ op: -1 }, { message: 'no name' }), now)
    assert.deepEqual(reasons(bad), ['invalid_event'])
    assert.equal(bad.error, undefined)
  })

  test('#info OutdatedCursor becomes an info event stamped with the receive time', () => {
    const d = decodeFrame(
      encodeFrame({ op: 1, t: '#info' }, { name: 'OutdatedCursor', message: 'too old' }),
      now,
    )
    assert.deepEqual(d, {
      events: [{ kind: 'info', name: 'OutdatedCursor', message: 'too old', time: now() }],
      drops: [],
    })
    const bare = decodeFrame(encodeFrame({ op: 1, t: '#info' }, { name: 'OutdatedCursor' }), now)
    assert.deepEqual(bare.events, [{ kind: 'info', name: 'OutdatedCursor', time: now() }])
    assert.deepEqual(reasons(decodeFrame(encodeFrame({ op: 1, t: '#info' }, {}), now)), ['invalid_event'])
  })

  test('#identity, #account and #sync with missing or mistyped fields are invalid_event, seq kept', () => {
    const base = { seq: 10, did: 'did:plc:x', time: now() }
    const cases: [string, Record<string, unknown>][] = [
      ['#identity', { ...base, did: undefined }],
      ['#identity', { ...base, handle: 42 }],
      ['#account', base],
      ['#account', { ...base, active: false, status: 7 }],
      ['#sync', base],
      ['#sync', { ...base, rev: 5 }],
    ]
    for (const [t, body] of cases) {
      const d = decodeFrame(encodeFrame({ op: 1, t }, body), now)
      assert.deepEqual(reasons(d), ['invalid_event'], `${t} ${JSON.stringify(body)}`)
      assert.equal(d.seq, 10)
    }
    // null optional fields read as absent
    const identity = decodeFrame(encodeFrame({ op: 1, t: '#identity' }, { ...base, handle: null }), now)
    assert.deepEqual(identity.events, [{ kind: 'identity', ...base }])
    const account = decodeFrame(
      encodeFrame({ op: 1, t: '#account' }, { ...base, active: false, status: 'deleted' }),
      now,
    )
    assert.deepEqual(account.events, [{ kind: 'account', ...base, active: false, status: 'deleted' }])
  })
})
