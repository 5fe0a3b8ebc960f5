// The envelope Osprey's Kafka worker parses: {send_time, data:{action_id, action_name, data}}
// (timestamp, secret_data and encoding are kept for the Go original's consumers; Osprey ignores
// them). Built by concatenation so the Snowflake id stays a JSON integer with every digit.
import type { AtprotoEvent } from '../events/atproto-event.ts'

export function ospreyActionName(event: AtprotoEvent): string {
  return event.kind === 'operation' ? `operation#${event.action}` : event.kind
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

/** RFC 3339 UTC with Z: the upstream string when it already is one, else normalized, else now. */
export function sendTime(time: string, now: () => Date = () => new Date()): string {
  if (RFC3339.test(time)) {
    if (time.endsWith('Z')) return time
    const ms = Date.parse(time)
    if (Number.isFinite(ms)) return new Date(ms).toISOString()
  }
  return now().toISOString()
}

export function toOspreyEnvelope(
  event: AtprotoEvent,
  standardJson: string,
  actionId: string,
  now?: () => Date,
): string {
  if (!/^\d+$/.test(actionId)) throw new TypeError(`action id must be a decimal integer; got ${actionId}`)
  const time = sendTime(event.time, now)
  return `{"data":{"action_name":${JSON.stringify(ospreyActionName(event))},"action_id":${actionId},"data":${standardJson},"timestamp":${JSON.stringify(time)},"secret_data":{},"encoding":"json"},"send_time":${JSON.stringify(time)}}`
}
