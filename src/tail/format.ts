// One readable line per event: time, DID, action, collection/rkey (or the kind's own fields)
// and a short preview of the record.
import type { TailEvent } from './read-event.ts'

const PREVIEW_CHARS = 80

/** `text` with whitespace runs folded to one space, cut to `max` characters with an ellipsis. */
export function shorten(text: string, max = PREVIEW_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A short preview of a record: its text (posts), the subject it points at (likes, reposts,
 * follows, blocks), its name; else its other fields as JSON.
 */
export function recordPreview(record: unknown): string {
  if (!isObject(record)) return record === undefined || record === null ? '' : shorten(JSON.stringify(record))
  if (typeof record.text === 'string' && record.text.trim() !== '')
    return JSON.stringify(shorten(record.text))
  const subject = record.subject
  if (typeof subject === 'string') return `→ ${subject}`
  if (isObject(subject) && typeof subject.uri === 'string') return `→ ${subject.uri}`
  for (const key of ['displayName', 'name', 'title'] as const) {
    const v = record[key]
    if (typeof v === 'string' && v.trim() !== '') return JSON.stringify(shorten(v))
  }
  const { $type: _type, createdAt: _createdAt, ...rest } = record
  return Object.keys(rest).length === 0 ? '' : shorten(JSON.stringify(rest))
}

function details(event: TailEvent): string {
  const b = event.body
  switch (event.action) {
    case 'create':
    case 'update':
    case 'delete':
      return [`${event.collection}/${event.rkey}`, recordPreview(event.record)].filter(Boolean).join(' ')
    case 'account':
      return [`active=${String(b.active)}`, b.status ? `status=${String(b.status)}` : '']
        .filter(Boolean)
        .join(' ')
    case 'identity':
      return `handle=${String(b.handle || '-')}`
    case 'sync':
      return `rev=${String(b.rev ?? '')}`
    case 'info':
      return [String(b.name ?? ''), b.message ? shorten(String(b.message)) : ''].filter(Boolean).join(': ')
    case 'label':
      // +val applied, -val negated; then what it is on, who made it, and when it ends
      return [
        `${b.neg === true ? '-' : '+'}${String(b.val ?? '')}`,
        String(b.uri ?? ''),
        b.cid ? `cid=${String(b.cid)}` : '',
        `by ${String(b.src ?? '')}`,
        b.exp ? `exp=${String(b.exp)}` : '',
      ]
        .filter(Boolean)
        .join(' ')
  }
}

/** The readable line (no newline) for a message tail could read. */
export function formatEvent(event: TailEvent): string {
  return `${event.time || '-'} ${event.did || '-'} ${event.action.padEnd(8)} ${details(event)}`.trimEnd()
}

/** The readable line for a message that is neither the standard nor the Osprey shape. */
export function formatUnknown(value: string, where: { partition: number; offset: bigint }): string {
  return `? partition ${where.partition} offset ${where.offset}: ${shorten(value, 120)}`
}
