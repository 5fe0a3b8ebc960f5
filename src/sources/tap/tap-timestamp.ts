// The event time of a Tap event. Tap events carry no time of their own (no commit `time`, no
// seq), so the time is derived, and never trusted to be in the past:
//
//   create / update: the record's `createdAt` when it is a valid atproto datetime (RFC 3339,
//                    timezone required) that is not after the receive time; else the time
//                    encoded in the rkey when the rkey is a TID; else the receive time.
//   delete:          the time of the rkey when it is a TID; else the receive time.
//   identity:        the receive time.
//
// Whatever is chosen is clamped to the receive time: a time in the future is never emitted
// (a future `createdAt` falls through to the rkey, a future rkey TID becomes the receive time).
// The result is normalized to UTC with millisecond precision (`Date#toISOString`).
//
// `createdAt` and TID rkeys are written by clients, so a time can be arbitrarily old; `live`
// on the event tells backfill from live whatever the time says.

/** 13 base32-sortable characters (234567abcdefghijklmnopqrstuvwxyz); the first keeps the top bit zero */
const TID_RE = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/

export function isTid(value: string): boolean {
  return value.length === 13 && TID_RE.test(value)
}

/**
 * Milliseconds since the epoch encoded in a TID (its top 53 bits after the zero bit are
 * microseconds; the last 10 bits are a clock id), or undefined when `value` is not a TID.
 * Exact for every time before 2255 (2^53 µs); later ones are in the future and get clamped.
 */
export function tidTimeMs(value: string): number | undefined {
  if (!isTid(value)) return undefined
  // the first 11 characters are the 55 high bits: the zero bit, then the microseconds
  let micros = 0
  for (let i = 0; i < 11; i++) {
    const c = value.charCodeAt(i)
    micros = micros * 32 + (c <= 55 ? c - 50 : c - 91) // '2'..'7' → 0..5, 'a'..'z' → 6..31
  }
  return (micros - (micros % 1000)) / 1000
}

// atproto datetime: RFC 3339 with an uppercase T, seconds, an optional fraction, and a
// required timezone (Z or ±hh:mm; `-00:00` is not allowed)
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,20}))?(Z|[+-]\d{2}:\d{2})$/
const YEAR_ZERO_MS = -62_167_219_200_000 // 0000-01-01T00:00:00Z

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

// what nearly every client writes (JavaScript's toISOString): checked without allocating
const CANONICAL_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

const digits2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48

/** ms of a valid datetime in the canonical form YYYY-MM-DDTHH:MM:SS.sssZ, else undefined */
function canonicalMs(value: string): number | undefined {
  if (value.length !== 24 || !CANONICAL_RE.test(value)) return undefined
  const year = digits2(value, 0) * 100 + digits2(value, 2)
  const month = digits2(value, 5)
  const day = digits2(value, 8)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (digits2(value, 11) > 23 || digits2(value, 14) > 59 || digits2(value, 17) > 59) return undefined
  // Date.parse reads this form exactly (and all years 0000-9999); the ranges are checked above
  return Date.parse(value)
}

/**
 * Milliseconds since the epoch of an atproto datetime string, or undefined when it is not one
 * (syntax, or values such as month 13, Feb 30, second 61, or a time before year 0).
 * Digits past milliseconds are truncated.
 */
export function parseDatetimeMs(value: string): number | undefined {
  const canonical = canonicalMs(value)
  if (canonical !== undefined) return canonical
  if (value.length > 64) return undefined
  const m = DATETIME_RE.exec(value)
  if (!m) return undefined
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m as unknown as string[]
  const year = Number(ys)
  const month = Number(mos)
  const day = Number(ds)
  const hour = Number(hs)
  const minute = Number(mis)
  const second = Number(ss)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (zone !== 'Z') {
    const oh = Number(zone!.slice(1, 3))
    const om = Number(zone!.slice(4, 6))
    if (oh > 23 || om > 59 || zone === '-00:00') return undefined
    offsetMinutes = (zone![0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  // Date.UTC maps years 0-99 to 1900-1999: set the full year separately
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms))
  date.setUTCFullYear(year)
  const t = date.getTime() - offsetMinutes * 60_000
  return t < YEAR_ZERO_MS ? undefined : t
}

/** `ms` as RFC 3339 UTC; the last result is reused (a socket batch shares one receive time) */
let lastMs = Number.NaN
let lastIso = ''
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString()
    lastMs = ms
  }
  return lastIso
}

/** Time of a record operation by the rule above; `receivedAtMs` is when the frame arrived. */
export function operationTime(
  action: 'create' | 'update' | 'delete',
  record: Record<string, unknown> | undefined,
  rkey: string,
  receivedAtMs: number,
): string {
  if (action !== 'delete' && record !== undefined) {
    const createdAt = record.createdAt
    if (typeof createdAt === 'string') {
      const canonical = canonicalMs(createdAt)
      // already in the output form: passed on as it is
      if (canonical !== undefined && canonical <= receivedAtMs) return createdAt
      const t = canonical ?? parseDatetimeMs(createdAt)
      if (t !== undefined && t <= receivedAtMs) return new Date(t).toISOString()
    }
  }
  const t = tidTimeMs(rkey)
  return t === undefined || t >= receivedAtMs ? isoTime(receivedAtMs) : new Date(t).toISOString()
}
