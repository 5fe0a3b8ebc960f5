// What the identity layer looks up per DID, and the outcome of a lookup.
import type { DidDocument } from '@atcute/identity'

/** the DID document and what atkafka reads from it */
export interface ResolvedIdentity {
  readonly didDocument: DidDocument
  /** the #atproto_pds service endpoint, e.g. https://morel.us-east.host.bsky.network */
  readonly pdsEndpoint?: string
  /** hostname of pdsEndpoint (what service filters match) */
  readonly pdsHost?: string
  /** the handle the document claims (alsoKnownAs at://…); verified by a 'handle' lookup */
  readonly handle?: string
}

/** what a handle's domain says (DNS TXT, HTTPS well-known): see handle-resolver.ts */
export interface HandleResolution {
  /** the DID the handle's domain names; null: it names none (the handle is not confirmed for anyone) */
  readonly did: string | null
  /** how the DID was found */
  readonly via?: 'dns' | 'https'
}

/** from the PLC audit log (did:plc only) */
export interface DidCreation {
  /** createdAt of the first operation, as the PLC wrote it */
  readonly createdAt: string
}

/**
 * The API host's app.bsky.actor.getProfile answer (app.bsky.actor.defs#profileViewDetailed:
 * did, handle, displayName, followersCount, followsCount, postsCount, avatar, …) passed through
 * whole, as the Go original does: kept as its compact JSON (at most MAX_PROFILE_JSON_BYTES), which
 * is what crosses the worker thread and what eventMetadata writes.
 */
export interface Profile {
  readonly json: string
}

export type LookupKind = 'did_doc' | 'audit_log' | 'profile' | 'handle'
export const LOOKUP_KINDS: readonly LookupKind[] = ['did_doc', 'audit_log', 'profile', 'handle']

export type FailureReason = 'timeout' | 'not_found' | 'error'
export const LOOKUP_STATUSES = ['ok', 'timeout', 'not_found', 'error'] as const
export type LookupStatus = (typeof LOOKUP_STATUSES)[number]

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: FailureReason }

export interface LookupValues {
  did_doc: ResolvedIdentity
  audit_log: DidCreation
  profile: Profile
  /** keyed by the handle (lowercase), not the DID: what its domain names */
  handle: HandleResolution
}

/** a claimed handle: names this DID back (valid), names none, names another DID, or unknown in time */
export type HandleVerdict = 'valid' | 'not_confirmed' | 'other_did' | 'timeout' | 'error'
export const HANDLE_VERDICTS: readonly HandleVerdict[] = [
  'valid',
  'not_confirmed',
  'other_did',
  'timeout',
  'error',
]
