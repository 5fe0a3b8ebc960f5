// The envelope Osprey's Kafka worker parses: {send_time, data:{action_id, action_name, data}}.
// timestamp, secret_data and encoding ("UTF8", as the Go original writes it) are kept for the
// Go original's consumers (Osprey's worker ignores them). Built by concatenation so the
// Snowflake id stays a JSON integer with every digit.

import { moderationActionName } from '../events/action-name.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'

// JSON-quoted action names, computed once
const ACTION_NAMES = {
  create: '"operation#create"',
  update: '"operation#update"',
  delete: '"operation#delete"',
  account: '"account"',
  identity: '"identity"',
  info: '"info"',
  sync: '"sync"',
  label: '"label"',
} as const

const quotedActionName = (event: AtprotoEvent): string =>
  event.kind === 'moderation'
    ? JSON.stringify(moderationActionName(event))
    : ACTION_NAMES[event.kind === 'operation' ? event.action : event.kind]

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:(Z)|([+-])(\d{2}):(\d{2})|z)$/

const UTC_TIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z$/

/**
 * `time` as RFC 3339 UTC ending in Z, for Osprey's send_time (its action timestamp, read with
 * dateutil into a Python datetime). A valid UTC string passes through untouched (keeping its
 * precision); an offset or lowercase form is normalized to milliseconds with Z; anything
 * dateutil/datetime would refuse (bad format, 2026-02-30, a leap second, year 0) gives `now()`.
 */
export function sendTime(time: string, now: () => Date = () => new Date()): string {
  // fast path for what relays send: one capture-free test; only days 29..31 need the calendar
  if (UTC_TIME.test(time) && time.slice(8, 10) <= '28' && !time.startsWith('0000')) return time
  const m = RFC3339.exec(time)
  if (m && isValidDateTime(m)) {
    if (m[8] === 'Z' && time[10] === 'T') return time
    const fraction = (m[7] ?? '.').slice(1, 4).padEnd(3, '0')
    const local = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}Z`)
    const sign = m[9] === '-' ? -1 : 1
    const offsetMs = m[9] ? sign * (Number(m[10]) * 60 + Number(m[11])) * 60_000 : 0
    const utc = new Date(local - offsetMs)
    const year = utc.getUTCFullYear()
    // an offset can carry year 1 or 9999 out of what toISOString writes as RFC 3339
    if (year >= 1 && year <= 9999) return utc.toISOString()
  }
  return now().toISOString()
}

/** ranges the regex cannot check; Python's datetime refuses leap seconds and year 0 */
function isValidDateTime(m: RegExpExecArray): boolean {
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false
  return !m[9] || (Number(m[10]) <= 23 && Number(m[11]) <= 59)
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

// a JSON integer Osprey stores as a signed int64 (Postgres BigInteger)
const INT64_ID = /^(?:0|[1-9]\d{0,18})$/
const MAX_INT64 = '9223372036854775807'

/**
 * The Osprey envelope around an already encoded standard event. `actionId` is a decimal
 * string (a Snowflake) written as a JSON integer; `now` is the fallback for an unusable time.
 */
export function toOspreyEnvelope(
  event: AtprotoEvent,
  standardJson: string,
  actionId: string,
  now?: () => Date,
): string {
  const [head, tail] = ospreyEnvelopeAround(event, actionId, now)
  return head + standardJson + tail
}

/** the envelope's JSON before and after the standard event it carries */
export function ospreyEnvelopeAround(
  event: AtprotoEvent,
  actionId: string,
  now?: () => Date,
): [head: string, tail: string] {
  if (!INT64_ID.test(actionId) || (actionId.length === 19 && actionId > MAX_INT64)) {
    throw new RangeError(`Osprey action id must be a decimal integer in int64 range; got ${actionId}`)
  }
  const time = JSON.stringify(event.time)
  return [
    `{"data":{"action_name":${quotedActionName(event)},"action_id":${actionId},"data":`,
    `,"timestamp":${time},"secret_data":{},"encoding":"UTF8"},"send_time":"${sendTime(event.time, now)}"}`,
  ]
}
