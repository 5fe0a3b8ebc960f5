// The last warn/error/fatal log entries, for the status page: a bounded ring fed with the JSON
// lines pino writes. An entry keeps the time, level, component, message and the line's other
// scalar fields (err as its message), each string cut short: never a record body.

export interface LogEntry {
  readonly time: string
  readonly level: 'warn' | 'error' | 'fatal'
  readonly component: string
  readonly msg: string
  /** the line's other scalar fields, e.g. { reason: 'cid_mismatch', seq: 12 } */
  readonly fields: Readonly<Record<string, string | number | boolean>>
}

export interface RecentLog {
  /** takes one pino JSON line (lines below warn are ignored) */
  add(line: string): void
  /** oldest first */
  entries(): LogEntry[]
  /** warn, error and fatal lines seen since the start, by level */
  counts(): Readonly<Record<LogEntry['level'], number>>
}

/** pino's numeric levels */
const LEVELS: Readonly<Record<number, LogEntry['level']>> = { 40: 'warn', 50: 'error', 60: 'fatal' }
/** the fields every line has, shown in their own columns or not at all */
const OWN_FIELDS = new Set(['level', 'time', 'msg', 'component', 'service', 'pid', 'hostname'])
const MAX_FIELDS = 8
const MAX_STRING = 200

const cut = (s: string) => (s.length > MAX_STRING ? `${s.slice(0, MAX_STRING - 1)}…` : s)

/** One pino JSON line as a LogEntry; undefined below warn or when it is not a pino line. */
export function toLogEntry(line: string): LogEntry | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    // not JSON: not a line of ours, nothing to show
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const o = parsed as Record<string, unknown>
  const level = typeof o.level === 'number' ? LEVELS[o.level] : undefined
  if (level === undefined) return undefined
  const fields: Record<string, string | number | boolean> = {}
  let n = 0
  for (const [key, value] of Object.entries(o)) {
    if (OWN_FIELDS.has(key) || n >= MAX_FIELDS) continue
    let shown: string | number | boolean | undefined
    if (typeof value === 'string') shown = cut(value)
    else if (typeof value === 'number' || typeof value === 'boolean') shown = value
    else if (key === 'err' && typeof value === 'object' && value !== null) {
      const message = (value as { message?: unknown }).message
      if (typeof message === 'string') shown = cut(message)
    }
    if (shown === undefined) continue
    fields[key] = shown
    n++
  }
  return {
    time: typeof o.time === 'string' ? o.time : String(o.time ?? ''),
    level,
    component: typeof o.component === 'string' ? o.component : '',
    msg: typeof o.msg === 'string' ? cut(o.msg) : '',
    fields,
  }
}

export function createRecentLog(capacity = 20): RecentLog {
  const ring: LogEntry[] = []
  let next = 0
  const counts = { warn: 0, error: 0, fatal: 0 }
  return {
    add(line) {
      const entry = toLogEntry(line)
      if (!entry) return
      counts[entry.level]++
      if (ring.length < capacity) ring.push(entry)
      else ring[next] = entry
      next = (next + 1) % capacity
    },
    entries: () => (ring.length < capacity ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]),
    counts: () => ({ ...counts }),
  }
}
