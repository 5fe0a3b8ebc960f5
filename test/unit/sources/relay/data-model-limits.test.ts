// Input the data model forbids but @atcute/cbor decodes: float and fractional seqs, commits past
// the lexicon's 200 ops or 2,000,000 bytes of blocks, bodies larger than their type allows, DIDs
// and record paths that break the atproto syntax (a 50 KB "DID" must never become a Kafka key).
// Each is a counted drop with the reason decided in decode-frame.ts; the seq is kept whenever
// the body was decoded and has a valid one.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeFirst } from '@atcute/cbor'
import type { OperationEvent } from '../../../../src/events/atproto-event.ts'
import { HEAP_BYTES_PER_NODE } from '../../../../src/events/record-limits.ts'
import { intEncoded } from '../../../../src/sources/event-stream/body-fields.ts'
import type { DecodedFrame } from '../../../../src/sources/event-stream/stream-frame.ts'
import { MAX_COMMIT_BLOCKS_BYTES, MAX_COMMIT_OPS } from '../../../../src/sources/relay/decode-commit.ts'
import {
  decodeFrame,
  MAX_COMMIT_BODY_BYTES,
  MAX_OTHER_BODY_BYTES,
} from '../../../../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../../../helpers/corpus.ts'
import {
  bigRecord,
  type CommitOp,
  commitFrame,
  encodeFrame,
  splitFrame,
  withFloatSeq,
} from '../../../helpers/frame-tools.ts'

const now = () => '2026-07-04T14:40:00.000Z'
const reasons = (d: DecodedFrame) => d.drops.map((e) => e.reason)
const rkeys = (d: DecodedFrame) => (d.events as OperationEvent[]).map((e) => e.rkey)
const post = (rkey: string): CommitOp => ({
  action: 'create',
  path: `app.bsky.feed.post/${rkey}`,
  record: { $type: 'app.bsky.feed.post', text: rkey, createdAt: now() },
})
const IDENTITY = { op: 1, t: '#identity' }

describe('seqs', () => {
  test('a seq written as a DAG-CBOR float is no seq, even when integral: the commit is invalid', async () => {
    const frame = await commitFrame({ seq: 31527015322, ops: [post('a')] })
    assert.equal(decodeFrame(frame, now).seq, 31527015322, 'the integer form decodes')
    const float = withFloatSeq(frame)
    assert.equal(float.length, frame.length, 'same size: only the major type differs')
    assert.equal(splitFrame(float).body.seq, 31527015322, '@atcute/cbor decodes it to the same number')
    const d = decodeFrame(float, now)
    assert.deepEqual(reasons(d), ['invalid_event'])
    assert.equal(d.seq, undefined)
    assert.equal(d.events.length, 0)
    assert.match(d.drops[0]!.message, /seq \(an integer\)/)
  })

  test('small seqs too (1-byte integer forms), and on #identity', async () => {
    for (const seq of [0, 1, 23, 24, 255, 65_536, 2 ** 32]) {
      const frame = await commitFrame({ seq, ops: [] })
      assert.equal(decodeFrame(frame, now).seq, seq)
      const [, body] = decodeFirst(frame)
      assert.equal(intEncoded(body), true, `seq ${seq}`)
    }
    const identity = encodeFrame(IDENTITY, { seq: 2 ** 40, did: 'did:plc:abc', time: now() })
    assert.equal(decodeFrame(identity, now).seq, 2 ** 40)
    const d = decodeFrame(withFloatSeq(identity), now)
    assert.deepEqual(reasons(d), ['invalid_event'])
    assert.equal(d.seq, undefined)
  })

  test('every corpus frame has an integer-encoded seq', () => {
    for (const frame of readCorpusFrames()) {
      const [, body] = decodeFirst(frame)
      assert.equal(intEncoded(body), true)
    }
  })

  test('fractional and negative seqs are no seq (as before)', () => {
    for (const seq of [1.5, -3]) {
      const d = decodeFrame(encodeFrame(IDENTITY, { seq, did: 'did:plc:abc', time: now() }), now)
      assert.deepEqual(reasons(d), ['invalid_event'], String(seq))
      assert.equal(d.seq, undefined)
    }
  })
})

describe('lexicon limits', () => {
  test(`${MAX_COMMIT_OPS} ops go out; one more drops the whole commit (lexicon_limit), seq kept`, async () => {
    const ops = Array.from({ length: MAX_COMMIT_OPS + 1 }, (_, i) => post(`r${i}`))
    const full = decodeFrame(await commitFrame({ seq: 7, ops: ops.slice(0, MAX_COMMIT_OPS) }), now)
    assert.deepEqual(reasons(full), [])
    assert.equal(full.events.length, MAX_COMMIT_OPS)
    const over = decodeFrame(await commitFrame({ seq: 8, ops }), now)
    assert.deepEqual(reasons(over), ['lexicon_limit'])
    assert.equal(over.seq, 8)
    assert.equal(over.events.length, 0, 'never cut: a partial commit would pass for a whole one')
    assert.match(over.drops[0]!.message, /201 ops/)
  })

  test(`blocks over ${MAX_COMMIT_BLOCKS_BYTES} bytes drop the commit (lexicon_limit), seq kept`, async () => {
    // a record just over the blocks limit, in a frame still under the body limit
    const op: CommitOp = {
      action: 'create',
      path: 'app.bsky.feed.post/big',
      record: bigRecord(MAX_COMMIT_BLOCKS_BYTES),
    }
    const frame = await commitFrame({ seq: 9, ops: [op] })
    assert.ok(frame.length < MAX_COMMIT_BODY_BYTES)
    const d = decodeFrame(frame, now)
    assert.deepEqual(reasons(d), ['lexicon_limit'])
    assert.equal(d.seq, 9)
    const under = { ...op, record: bigRecord(MAX_COMMIT_BLOCKS_BYTES - 1000) }
    const ok = decodeFrame(await commitFrame({ seq: 10, ops: [under] }), now)
    assert.deepEqual(reasons(ok), [])
    assert.equal(ok.events.length, 1)
  })

  test('a #commit body past the body limit is dropped undecoded: lexicon_limit, no seq', async () => {
    const frame = await commitFrame({
      seq: 11,
      ops: [{ ...post('a'), record: bigRecord(MAX_COMMIT_BODY_BYTES) }],
    })
    const d = decodeFrame(frame, now)
    assert.deepEqual(reasons(d), ['lexicon_limit'])
    assert.equal(d.seq, undefined, 'the body was not decoded')
    assert.match(d.drops[0]!.message, /#commit: body of \d+ bytes is over the \d+ its type allows/)
  })

  test('a body of junk that would take over 100 MB of heap to decode is never decoded', () => {
    // 2 MiB of empty maps in an unknown field of an #identity: ~64 bytes of heap each
    const junk = Array.from({ length: 2 * 1024 * 1024 }, () => ({}))
    const frame = encodeFrame(IDENTITY, { seq: 1, did: 'did:plc:abc', time: now(), zjunk: junk })
    const before = process.memoryUsage().heapUsed
    const d = decodeFrame(frame, now)
    const grew = process.memoryUsage().heapUsed - before
    assert.deepEqual(reasons(d), ['lexicon_limit'])
    assert.ok(grew < 16 * 1024 * 1024, `heap grew ${grew} bytes`)
  })

  test(`other bodies: ${MAX_OTHER_BODY_BYTES} bytes at most; the reason follows the frame's type`, () => {
    const pad = 'x'.repeat(MAX_OTHER_BODY_BYTES)
    const cases: [Record<string, unknown> | unknown[], string][] = [
      [IDENTITY, 'lexicon_limit'],
      [{ op: 1, t: '#account' }, 'lexicon_limit'],
      [{ op: 1, t: '#sync' }, 'lexicon_limit'],
      [{ op: 1, t: '#info' }, 'lexicon_limit'],
      [{ op: -1 }, 'lexicon_limit'],
      [{ op: 1, t: '#foo' }, 'unknown_kind'],
      [{ op: 2, t: '#identity' }, 'unknown_kind'],
      [[1, '#identity'], 'malformed_frame'],
    ]
    for (const [header, reason] of cases) {
      const d = decodeFrame(encodeFrame(header as Record<string, unknown>, { seq: 5, zpad: pad }), now)
      assert.deepEqual(reasons(d), [reason], JSON.stringify(header))
      assert.equal(d.seq, undefined)
    }
  })
})

describe('DIDs and paths', () => {
  const longDid = `did:plc:${'a'.repeat(50_000)}`

  test('a 50 KB "DID" never becomes a key: the commit is invalid_event, seq kept', async () => {
    const d = decodeFrame(await commitFrame({ seq: 12, repo: longDid, ops: [post('a')] }), now)
    assert.deepEqual(reasons(d), ['invalid_event'])
    assert.equal(d.seq, 12)
    assert.equal(d.events.length, 0)
    assert.ok(d.drops[0]!.message.length < 300, 'the log line shows the start of it, not all of it')
  })

  test('repo and did fields that break the DID syntax: invalid_event on every type, seq kept', async () => {
    for (const did of ['plc:abc', 'did:PLC:abc', 'did:plc:', 'did:plc:abc/def', 'did:plc:a b', longDid]) {
      const commit = decodeFrame(await commitFrame({ seq: 13, repo: did, ops: [post('a')] }), now)
      assert.deepEqual(reasons(commit), ['invalid_event'], did.slice(0, 40))
      for (const t of ['#identity', '#account', '#sync']) {
        const body = { seq: 14, did, time: now(), active: true, rev: '3mptbypluud2a' }
        const d = decodeFrame(encodeFrame({ op: 1, t }, body), now)
        assert.deepEqual(reasons(d), ['invalid_event'], `${t} ${did.slice(0, 40)}`)
        assert.equal(d.seq, 14)
      }
    }
  })

  test('an op whose path is not <NSID>/<record key> is dropped alone', async () => {
    const bad = [
      'app.bsky.feed.post/a b',
      'notansid/abc',
      'app.bsky.feed.post/..',
      `app.bsky.feed.post/${'k'.repeat(513)}`,
    ]
    const ops = [...bad.map((path) => ({ ...post('x'), path })), post('good')]
    const d = decodeFrame(await commitFrame({ seq: 15, ops }), now)
    assert.deepEqual(
      reasons(d),
      bad.map(() => 'invalid_event'),
    )
    assert.deepEqual(rkeys(d), ['good'])
  })
})

describe('the heap estimate of decoded records', () => {
  test('grows with the values a record holds, not only with its bytes', async () => {
    const text = decodeFrame(
      await commitFrame({ seq: 1, ops: [{ ...post('t'), record: bigRecord(100_000, 'text') }] }),
      now,
    )
    const maps = decodeFrame(
      await commitFrame({ seq: 2, ops: [{ ...post('m'), record: bigRecord(100_000, 'maps') }] }),
      now,
    )
    assert.ok(
      (text.recordBytes ?? 0) >= 100_000 && (text.recordBytes ?? 0) < 110_000,
      String(text.recordBytes),
    )
    assert.ok((maps.recordBytes ?? 0) >= 100_000 * HEAP_BYTES_PER_NODE, String(maps.recordBytes))
  })

  test('no records, no estimate', async () => {
    const d = decodeFrame(
      await commitFrame({ seq: 3, ops: [{ action: 'delete', path: 'app.bsky.feed.post/x' }] }),
      now,
    )
    assert.equal(d.recordBytes, undefined)
  })
})
