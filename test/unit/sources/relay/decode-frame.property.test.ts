// Property tests: whatever the bytes, decodeFrame returns (never throws), every drop carries a
// known DropReason, a seq is always a usable cursor, and every event serializes to JSON.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BytesWrapper, CidLinkWrapper, decode, decodeFirst } from '@atcute/cbor'
import fc from 'fast-check'
import { DecodeError, DROP_REASONS } from '../../../../src/errors.ts'
import type { DecodedFrame } from '../../../../src/sources/event-stream/stream-frame.ts'
import { decodeFrame } from '../../../../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../../../helpers/corpus.ts'
import { encodeFrame } from '../../../helpers/indigo-scenarios.ts'

const frames = readCorpusFrames()
const now = () => '2026-07-04T14:40:00.000Z'
const RUNS = 500

function checkResult(d: DecodedFrame): void {
  for (const drop of d.drops) {
    assert.ok(drop instanceof DecodeError)
    assert.ok(DROP_REASONS.includes(drop.reason))
  }
  if (d.seq !== undefined) assert.ok(Number.isSafeInteger(d.seq) && d.seq >= 0)
  assert.equal(typeof JSON.stringify(d.events), 'string')
  if (d.error) assert.equal(d.events.length + d.drops.length, 0)
}

const decodes = (bytes: Uint8Array) => checkResult(decodeFrame(bytes, now))

/** one edit of a byte array: flip a bit, insert or delete a byte, or cut the tail */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
)

type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never

function applyEdits(frame: Uint8Array, edits: Edit[]): Uint8Array {
  let bytes = Array.from(frame)
  for (const e of edits) {
    if (bytes.length === 0) break
    const at = e.at % bytes.length
    if (e.kind === 'flip') bytes[at] = bytes[at]! ^ (1 << e.bit)
    else if (e.kind === 'insert') bytes.splice(at, 0, e.byte)
    else if (e.kind === 'delete') bytes.splice(at, 1)
    else bytes = bytes.slice(0, at)
  }
  return new Uint8Array(bytes)
}

/** values @atcute/cbor can encode: the DAG-CBOR data model */
const cborValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -1e12, max: 1e12 }),
    fc.string(),
    fc.constantFrom('#commit', 'create', 'update', 'delete', 'app.bsky.feed.like/3mptbyplj5d2a', 'a/b/c', ''),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }).map((b) => new BytesWrapper(b)),
    fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((d) => new CidLinkWrapper(new Uint8Array([1, 0x71, 0x12, 32, ...d]))),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value

const FIELDS = [
  'seq',
  'repo',
  'did',
  'rev',
  'time',
  'ops',
  'blocks',
  'active',
  'status',
  'handle',
  'name',
  'message',
  'error',
]

/** a real body from the corpus with some fields replaced, removed or added */
const mutatedBody = fc.record({
  index: fc.nat(frames.length - 1),
  set: fc.dictionary(fc.constantFrom(...FIELDS), cborValue, { maxKeys: 3, noNullPrototype: true }),
  remove: fc.subarray(FIELDS, { maxLength: 2 }),
  t: fc.constantFrom('#commit', '#identity', '#account', '#sync', '#info', '#handle', '#foo', undefined),
  op: fc.constantFrom(1, 1, 1, -1, 0, 2),
})

describe('decodeFrame never throws', () => {
  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), decodes), { numRuns: RUNS * 4 })
  })

  test('random bytes after a valid header', () => {
    const header = frames[0]!.subarray(0, decodeFirst(frames[0]!)[1].byteOffset - frames[0]!.byteOffset)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (body) => decodes(new Uint8Array([...header, ...body]))),
      { numRuns: RUNS * 2 },
    )
  })

  test('edited real frames (bit flips, inserts, deletes, cuts)', () => {
    fc.assert(
      fc.property(fc.nat(frames.length - 1), fc.array(edit, { minLength: 1, maxLength: 6 }), (i, edits) =>
        decodes(applyEdits(frames[i]!, edits)),
      ),
      { numRuns: RUNS * 2 },
    )
  })

  test('well-formed DAG-CBOR frames with wrong, missing or extra fields', () => {
    fc.assert(
      fc.property(mutatedBody, ({ index, set, remove, t, op }) => {
        const [, rest] = decodeFirst(frames[index]!)
        const body = decode(rest) as Record<string, unknown>
        for (const key of remove) delete body[key]
        Object.assign(body, set)
        decodes(encodeFrame(t === undefined ? { op } : { op, t }, body))
      }),
      { numRuns: RUNS * 2 },
    )
  })
})
