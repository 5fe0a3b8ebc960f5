// The Tap timestamp rule: createdAt when it is a valid atproto datetime not in the future, else
// the TID rkey's time, else the receive time; never a time in the future. TID and datetime
// syntax are checked against the atproto interop fixtures.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import {
  isTid,
  operationTime,
  parseDatetimeMs,
  tidTimeMs,
} from '../../../../src/sources/tap/tap-timestamp.ts'
import { corpusDir, interopDir } from '../../../helpers/fixture-paths.ts'

function fixtureLines(name: string): string[] {
  return readFileSync(join(interopDir, 'syntax', name), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
}

const ALPHABET = '234567abcdefghijklmnopqrstuvwxyz'
/** reference decoding with BigInt: the 64-bit value's bits 10..62 are microseconds */
function tidMicrosRef(tid: string): bigint {
  let v = 0n
  for (const c of tid) v = v * 32n + BigInt(ALPHABET.indexOf(c))
  return v >> 10n
}
/** reference encoding: microseconds and a clock id → TID */
function makeTid(micros: bigint, clockId = 0n): string {
  let v = (micros << 10n) | clockId
  let s = ''
  for (let i = 0; i < 13; i++) {
    s = ALPHABET[Number(v & 31n)] + s
    v >>= 5n
  }
  return s
}

const NOW = Date.parse('2026-07-04T14:40:00.000Z')

describe('TIDs', () => {
  test('syntax: every valid interop TID is accepted, every invalid one refused', () => {
    const valid = fixtureLines('tid_syntax_valid.txt')
    const invalid = fixtureLines('tid_syntax_invalid.txt')
    assert.ok(valid.length >= 4 && invalid.length >= 8)
    for (const tid of valid) assert.equal(isTid(tid), true, tid)
    for (const tid of invalid) {
      assert.equal(isTid(tid), false, tid)
      assert.equal(tidTimeMs(tid), undefined, tid)
    }
    for (const notTid of ['self', '', '3mptbyplj5d2', 'app.bsky.feed.post'])
      assert.equal(tidTimeMs(notTid), undefined)
  })

  test('decoding matches a BigInt reference on the interop TIDs and on generated ones', () => {
    for (const tid of fixtureLines('tid_syntax_valid.txt')) {
      const micros = tidMicrosRef(tid)
      if (micros >= 2n ** 53n) continue // beyond 2255: only ever clamped
      assert.equal(tidTimeMs(tid), Number(micros / 1000n), tid)
    }
    for (const micros of [0n, 1n, 999n, 1000n, 1_783_175_888_085_434n, 2n ** 53n - 1n]) {
      for (const clock of [0n, 1n, 1023n]) {
        const tid = makeTid(micros, clock)
        assert.equal(isTid(tid), true, tid)
        assert.equal(tidTimeMs(tid), Number(micros / 1000n), `${tid} (${micros} µs)`)
      }
    }
    assert.equal(tidTimeMs('2222222222222'), 0)
  })

  test('real revs and rkeys of the jetstream corpus decode to about the time the relay saw them', () => {
    const lines = readFileSync(join(corpusDir, 'expected_v1.jsonl'), 'utf8').trim().split('\n')
    let checked = 0
    for (const line of lines) {
      const e = JSON.parse(line) as { time_us: number; commit?: { rev: string } }
      if (!e.commit) continue
      const t = tidTimeMs(e.commit.rev)
      assert.ok(t !== undefined)
      // revs are minted by the PDS at commit time: within seconds of the relay's time_us
      assert.ok(Math.abs(t - e.time_us / 1000) < 60_000, `${e.commit.rev}: ${t} vs ${e.time_us}`)
      checked++
    }
    assert.ok(checked > 100)
  })
})

describe('atproto datetimes', () => {
  test('every valid interop datetime parses; every syntax- or parse-invalid one does not', () => {
    for (const s of fixtureLines('datetime_syntax_valid.txt')) {
      assert.notEqual(parseDatetimeMs(s), undefined, s)
    }
    for (const s of [
      ...fixtureLines('datetime_syntax_invalid.txt'),
      ...fixtureLines('datetime_parse_invalid.txt'),
    ]) {
      assert.equal(parseDatetimeMs(s), undefined, JSON.stringify(s))
    }
  })

  test('values: fractions truncated to ms, offsets applied, years below 100 kept, calendars checked', () => {
    assert.equal(parseDatetimeMs('1985-04-12T23:20:50.123Z'), Date.parse('1985-04-12T23:20:50.123Z'))
    assert.equal(parseDatetimeMs('1985-04-12T23:20:50.1239999Z'), Date.parse('1985-04-12T23:20:50.123Z'))
    assert.equal(parseDatetimeMs('1985-04-12T23:20:50.1Z'), Date.parse('1985-04-12T23:20:50.100Z'))
    assert.equal(parseDatetimeMs('1985-04-12T23:20:50Z'), Date.parse('1985-04-12T23:20:50.000Z'))
    assert.equal(parseDatetimeMs('1985-04-12T23:20:50.123-07:00'), Date.parse('1985-04-13T06:20:50.123Z'))
    assert.equal(parseDatetimeMs('1985-04-12T23:20:50.123+01:45'), Date.parse('1985-04-12T21:35:50.123Z'))
    assert.equal(parseDatetimeMs('0010-12-31T23:00:00.000Z'), Date.parse('0010-12-31T23:00:00.000Z'))
    assert.equal(parseDatetimeMs('0000-01-01T00:00:00.000Z'), Date.parse('0000-01-01T00:00:00.000Z'))
    assert.equal(parseDatetimeMs('2024-02-29T00:00:00Z'), Date.parse('2024-02-29T00:00:00Z'))
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2024-01-01T00:00:60Z',
    ]) {
      assert.equal(parseDatetimeMs(bad), undefined, bad)
    }
    assert.equal(parseDatetimeMs('2000-02-29T00:00:00Z'), Date.parse('2000-02-29T00:00:00Z'))
    // the canonical form (toISOString's) takes a fast path: Date.parse alone accepts these
    for (const bad of ['2023-02-30T00:00:00.000Z', '2024-04-31T10:00:00.000Z', '2024-01-01T24:00:00.000Z']) {
      assert.ok(Number.isFinite(Date.parse(bad)), bad)
      assert.equal(parseDatetimeMs(bad), undefined, bad)
    }
    assert.equal(parseDatetimeMs('2024-00-10T00:00:00.000Z'), undefined)
    assert.equal(parseDatetimeMs('0000-01-01T00:00:00.000Z'), -62_167_219_200_000)
    assert.equal(parseDatetimeMs('9999-12-31T23:59:59.999Z'), Date.parse('9999-12-31T23:59:59.999Z'))
  })
})

describe('operationTime', () => {
  const past = '2026-07-04T14:38:08.999Z'
  const tidPast = makeTid(BigInt(Date.parse('2026-07-04T14:30:00.000Z')) * 1000n, 5n)
  const tidFuture = makeTid(BigInt(NOW + 3_600_000) * 1000n)
  const received = new Date(NOW).toISOString()

  const cases: [string, Parameters<typeof operationTime>, string][] = [
    ['createdAt in the past', ['create', { createdAt: past }, tidPast, NOW], past],
    [
      'createdAt normalized to UTC ms',
      ['update', { createdAt: '2026-07-04T16:38:08.999999+02:00' }, 'self', NOW],
      past,
    ],
    ['createdAt equal to the receive time', ['create', { createdAt: received }, tidPast, NOW], received],
    [
      'future createdAt → TID rkey',
      ['create', { createdAt: '2026-07-04T15:00:00Z' }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    [
      'future createdAt, no TID → receive time',
      ['create', { createdAt: '2030-01-01T00:00:00Z' }, 'self', NOW],
      received,
    ],
    [
      'future createdAt and future TID → receive time',
      ['create', { createdAt: '2030-01-01T00:00:00Z' }, tidFuture, NOW],
      received,
    ],
    [
      'invalid createdAt → TID',
      ['create', { createdAt: 'yesterday' }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    [
      'createdAt without timezone → TID',
      ['create', { createdAt: '2026-07-04T14:00:00' }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    [
      'createdAt not a string → TID',
      ['create', { createdAt: 1783175888 }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    [
      'no createdAt → TID',
      ['create', { $type: 'app.bsky.actor.profile' }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    ['no createdAt, no TID → receive time', ['create', {}, 'self', NOW], received],
    ['future TID alone → receive time', ['create', {}, tidFuture, NOW], received],
    ['delete: TID rkey', ['delete', undefined, tidPast, NOW], '2026-07-04T14:30:00.000Z'],
    [
      'delete: the record is never read',
      ['delete', { createdAt: past }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    ['delete: future TID → receive time', ['delete', undefined, tidFuture, NOW], received],
    ['delete: not a TID → receive time', ['delete', undefined, 'self', NOW], received],
    [
      'very old createdAt is kept',
      ['create', { createdAt: '0001-01-01T00:00:00Z' }, 'self', NOW],
      '0001-01-01T00:00:00.000Z',
    ],
    [
      'canonical Feb 30 is not a date → TID',
      ['create', { createdAt: '2026-02-30T00:00:00.000Z' }, tidPast, NOW],
      '2026-07-04T14:30:00.000Z',
    ],
    [
      'canonical createdAt passes through as it is',
      ['create', { createdAt: '2026-07-04T14:39:59.999Z' }, 'self', NOW],
      '2026-07-04T14:39:59.999Z',
    ],
  ]
  for (const [name, args, want] of cases) {
    test(name, () => {
      const got = operationTime(...args)
      assert.equal(got, want)
      assert.ok(Date.parse(got) <= NOW, 'never in the future')
    })
  }
})
