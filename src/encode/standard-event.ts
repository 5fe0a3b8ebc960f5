// The Go original's JSON shapes (its README is a public contract), plus `seq` (relay) and
// `operation.rev` / `operation.live` (Tap) that its consumers could not see. Records are embedded
// as decoded: @atcute/cbor's CID and bytes wrappers serialize themselves to {"$link"}/{"$bytes"}.
import type { AtprotoEvent } from '../events/atproto-event.ts'

/** Kafka key of events that have no DID (relay #info), as in the Go original. */
export const NO_DID_KEY = '<unknown>'

export function messageKey(event: AtprotoEvent): string {
  return event.kind === 'info' ? NO_DID_KEY : event.did
}

/** The standard event as a JSON value (field order as documented). */
export function toStandardEvent(event: AtprotoEvent, metadata?: unknown): Record<string, unknown> {
  switch (event.kind) {
    case 'operation': {
      const path = `${event.collection}/${event.rkey}`
      const operation: Record<string, unknown> = {
        action: event.action,
        collection: event.collection,
        rkey: event.rkey,
        uri: `at://${event.did}/${path}`,
        cid: event.cid ?? '',
        path,
        rev: event.rev,
      }
      if (event.live !== undefined) operation.live = event.live
      if (event.record !== undefined && event.action !== 'delete') operation.record = event.record
      return withHead(event.did, event.time, event.seq, metadata, 'operation', operation)
    }
    case 'account': {
      const account: Record<string, unknown> = { active: event.active, seq: event.seq }
      if (event.status !== undefined) account.status = event.status
      return withHead(event.did, event.time, event.seq, metadata, 'account', account)
    }
    case 'identity': {
      const identity: Record<string, unknown> = {}
      if (event.seq !== undefined) identity.seq = event.seq
      identity.handle = event.handle ?? ''
      if (event.isActive !== undefined) identity.isActive = event.isActive
      if (event.status !== undefined) identity.status = event.status
      return withHead(event.did, event.time, event.seq, metadata, 'identity', identity)
    }
    case 'sync':
      return withHead(event.did, event.time, event.seq, metadata, 'sync', { seq: event.seq, rev: event.rev })
    case 'info': {
      const info: Record<string, unknown> = { name: event.name }
      if (event.message !== undefined) info.message = event.message
      return { did: '', timestamp: event.time, info }
    }
  }
}

function withHead(
  did: string,
  timestamp: string,
  seq: number | undefined,
  metadata: unknown,
  kind: string,
  body: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { did, timestamp }
  if (seq !== undefined) out.seq = seq
  if (metadata !== undefined) out.eventMetadata = metadata
  out[kind] = body
  return out
}

export function toStandardJson(event: AtprotoEvent, metadata?: unknown): string {
  return JSON.stringify(toStandardEvent(event, metadata))
}
