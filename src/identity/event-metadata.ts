// `eventMetadata`, as the Go original writes it and production Osprey rules read it
// (haileyok/atproto-ruleset: handle, pdsHost, didCreatedAt, accountAge, profile.*): pure.
import type { DidDocument } from '@atcute/identity'
import type { DidCreation, Profile, ResolvedIdentity } from './identity-types.ts'

export interface EventMetadata {
  readonly didDocument: DidDocument
  /** the PDS endpoint URL from the DID document (as the Go original: a URL, not a bare host) */
  readonly pdsHost?: string
  readonly handle?: string
  /** did:plc only: createdAt of the DID's first PLC operation */
  readonly didCreatedAt?: string
  /** whole seconds from didCreatedAt to the event's own time; -1 when either is unknown */
  readonly accountAge: number
  /** null when there is no API host or the lookup failed */
  readonly profile: Profile | null
}

/** -1 when either time is missing or unparseable; never negative otherwise (clock skew) */
export function accountAgeSeconds(createdAt: string | undefined, eventTime: string): number {
  if (!createdAt) return -1
  const created = Date.parse(createdAt)
  const at = Date.parse(eventTime)
  if (!Number.isFinite(created) || !Number.isFinite(at)) return -1
  return Math.max(0, Math.floor((at - created) / 1000))
}

export function buildEventMetadata(
  identity: ResolvedIdentity,
  creation: DidCreation | undefined,
  profile: Profile | undefined,
  eventTime: string,
): EventMetadata {
  return {
    didDocument: identity.didDocument,
    pdsHost: identity.pdsEndpoint,
    handle: identity.handle,
    didCreatedAt: creation?.createdAt,
    accountAge: accountAgeSeconds(creation?.createdAt, eventTime),
    profile: profile ?? null,
  }
}
