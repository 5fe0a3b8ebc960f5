import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  decodeIdRanges,
  encodeIdRanges,
  formatOzonePosition,
  isIsoTime,
  parseOzonePosition,
} from '../../../../src/sources/ozone/ozone-position.ts'

test('ids are written as ranges and read back', () => {
  assert.equal(encodeIdRanges([]), '')
  assert.equal(encodeIdRanges([1, 2, 3, 7, 9, 10]), '1-3,7,9-10')
  assert.deepEqual(decodeIdRanges('1-3,7,9-10'), [1, 2, 3, 7, 9, 10])
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }), (ids) => {
      const sorted = [...ids].sort((a, b) => a - b)
      assert.deepEqual(decodeIdRanges(encodeIdRanges(sorted)), sorted)
    }),
  )
})

test('a position round-trips; malformed ones are refused with a reason', () => {
  const p = {
    createdAfter: '2026-07-01T12:00:00.120Z',
    seen: [5, 6, 9],
    last: { id: 9, createdAt: '2026-07-01T12:00:01.000Z' },
  }
  assert.deepEqual(parseOzonePosition(formatOzonePosition(p)), p)
  assert.deepEqual(parseOzonePosition(formatOzonePosition({ createdAfter: undefined, seen: [] })), {
    createdAfter: undefined,
    seen: [],
  })
  for (const [text, why] of [
    ['nope', /not JSON/],
    ['{"v":2,"createdAfter":null,"seen":""}', /version/],
    // the form Go writes drops zeros: Ozone compares text, so it is refused
    ['{"v":1,"createdAfter":"2026-07-01T12:00:00.12Z","seen":""}', /ISO/],
    ['{"v":1,"createdAfter":"2026-07-01T12:00:00Z","seen":""}', /ISO/],
    ['{"v":1,"createdAfter":null,"seen":"3-1"}', /malformed/],
    ['{"v":1,"createdAfter":null,"seen":"5,3"}', /ascending/],
    ['{"v":1,"createdAfter":null,"seen":"1-99999999"}', /more than/],
  ] as const) {
    assert.throws(() => parseOzonePosition(text), why)
  }
})

test('isIsoTime accepts exactly what Date#toISOString writes', () => {
  assert.ok(isIsoTime(new Date(1_780_000_000_123).toISOString()))
  assert.ok(!isIsoTime('2026-02-30T00:00:00.000Z'))
  assert.ok(!isIsoTime('2026-07-01T12:00:00.000+00:00'))
  assert.ok(!isIsoTime('2026-07-01T12:00:00.1234Z'))
})
