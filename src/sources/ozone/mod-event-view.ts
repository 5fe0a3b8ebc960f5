// One `tools.ozone.moderation.defs#modEventView` from queryEvents → the canonical moderation
// event. The view itself is kept as Ozone returned it; only what atkafka needs is read from it
// (id, createdAt, the subject's DID) and checked. Pure.
import type { ModerationEvent } from '../../events/atproto-event.ts'

export type OzoneKey = 'subject-did' | 'event-id'

export type ViewCheck =
  | { readonly ok: true; readonly id: number; readonly createdAt: string; readonly did: string }
  | { readonly ok: false; readonly reason: string }

/**
 * What atkafka reads from a view. `createdAt` must be the Date#toISOString() form Ozone writes
 * (its createdAfter compares text); the subject's DID comes from a repoRef's `did`, a
 * strongRef's at:// URI, or a chat messageRef's `did`.
 */
export function checkModEventView(view: unknown): ViewCheck {
  if (typeof view !== 'object' || view === null || Array.isArray(view)) {
    return { ok: false, reason: 'not an object' }
  }
  const v = view as Record<string, unknown>
  if (!Number.isSafeInteger(v.id) || (v.id as number) < 0)
    return { ok: false, reason: 'id is not an integer' }
  const createdAt = v.createdAt
  if (typeof createdAt !== 'string' || !isUtcIso(createdAt)) {
    return { ok: false, reason: `createdAt is not an ISO time: ${String(createdAt).slice(0, 40)}` }
  }
  const event = v.event as { $type?: unknown } | undefined
  if (typeof event !== 'object' || event === null || typeof event.$type !== 'string') {
    return { ok: false, reason: 'event has no $type' }
  }
  const did = subjectDid(v.subject)
  if (did === undefined) return { ok: false, reason: 'subject names no DID' }
  return { ok: true, id: v.id as number, createdAt, did }
}

export function toModerationEvent(
  view: Record<string, unknown>,
  checked: { id: number; createdAt: string; did: string },
  key: OzoneKey,
): ModerationEvent {
  return {
    kind: 'moderation',
    id: checked.id,
    did: checked.did,
    key: key === 'event-id' ? String(checked.id) : checked.did,
    time: checked.createdAt,
    view,
  }
}

const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]+$/

function subjectDid(subject: unknown): string | undefined {
  if (typeof subject !== 'object' || subject === null) return undefined
  const s = subject as { did?: unknown; uri?: unknown }
  if (typeof s.did === 'string' && DID.test(s.did)) return s.did
  if (typeof s.uri === 'string' && s.uri.startsWith('at://')) {
    const authority = s.uri.slice(5).split('/')[0] ?? ''
    if (DID.test(authority)) return authority
  }
  return undefined
}

function isUtcIso(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s) && Number.isFinite(Date.parse(s))
}
