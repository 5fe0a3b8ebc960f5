// `eventMetadata`, as the Go original writes it and production Osprey rules read it
// (haileyok/atproto-ruleset: handle, pdsHost, didCreatedAt, accountAge, profile.*): pure.
// `profile` is the API host's getProfile answer as it came (see identity-types.ts).
import type { DidDocument } from '@atcute/identity'
import { timeMs } from '../events/event-time.ts'
import { RawJson } from '../events/raw-json.ts'
import type { DidCreation, Profile, ResolvedIdentity } from './identity-types.ts'

export interface EventMetadata {
  /** left out with --event-metadata-did-document=false */
  readonly didDocument?: DidDocument
  /** the PDS endpoint URL from the DID document (as the Go original: a URL, not a bare host) */
  readonly pdsHost?: string
  readonly handle?: string
  /** did:plc only: createdAt of the DID's first PLC operation */
  readonly didCreatedAt?: string
  /** whole seconds from didCreatedAt to the event's own time; -1 when either is unknown */
  readonly accountAge: number
  /** the getProfile answer (ProfileViewDetailed); null when there is no API host or the lookup failed */
  readonly profile: unknown
}

/** -1 when either time is missing or unparseable; never negative otherwise (clock skew) */
export function accountAgeSeconds(createdAt: string | undefined, eventTime: string): number {
  return createdAt ? secondsSince(timeMs(createdAt), eventTime) : -1
}

/** whole seconds from `createdMs` to the event's time; -1 when either is unusable, never negative */
function secondsSince(createdMs: number, eventTime: string): number {
  const at = timeMs(eventTime)
  if (!Number.isFinite(createdMs) || !Number.isFinite(at)) return -1
  return Math.max(0, Math.floor((at - createdMs) / 1000))
}

export function buildEventMetadata(
  identity: ResolvedIdentity,
  creation: DidCreation | undefined,
  profile: Profile | undefined,
  eventTime: string,
  withDocument = true,
): EventMetadata {
  return {
    didDocument: withDocument ? identity.didDocument : undefined,
    pdsHost: identity.pdsEndpoint,
    handle: identity.handle,
    didCreatedAt: creation?.createdAt,
    accountAge: accountAgeSeconds(creation?.createdAt, eventTime),
    profile: profile ? JSON.parse(profile.json) : null,
  }
}

// the per-DID parts, encoded once per cached value (the values are immutable)
const identityBytes = new WeakMap<ResolvedIdentity, Buffer>()
const identityBytesWithoutDocument = new WeakMap<ResolvedIdentity, Buffer>()
// per audit-log value: createdAt in ms, and `"didCreatedAt":"…",`
const createdAtParts = new WeakMap<DidCreation, { readonly ms: number; readonly bytes: Buffer }>()
// `,"profile":{…}}` per profile value
const profileBytes = new WeakMap<Profile, Buffer>()
const NO_PROFILE = Buffer.from(',"profile":null}')

/**
 * The same JSON as JSON.stringify(buildEventMetadata(…)), as fragments encoded once per DID:
 * per event only accountAge is computed and written.
 */
export function eventMetadataJson(
  identity: ResolvedIdentity,
  creation: DidCreation | undefined,
  profile: Profile | undefined,
  eventTime: string,
  withDocument = true,
): RawJson {
  const heads = withDocument ? identityBytes : identityBytesWithoutDocument
  let head = heads.get(identity)
  if (head === undefined) {
    const { pdsEndpoint, handle } = identity
    const didDocument = withDocument ? identity.didDocument : undefined
    // `{…,` ready for the next key; `{}` (nothing known) becomes `{`
    const json = JSON.stringify({ didDocument, pdsHost: pdsEndpoint, handle }).slice(0, -1)
    head = Buffer.from(json === '{' ? json : `${json},`)
    heads.set(identity, head)
  }
  let age = -1
  let created: Buffer | undefined
  if (creation) {
    let parts = createdAtParts.get(creation)
    if (parts === undefined) {
      parts = {
        ms: timeMs(creation.createdAt),
        bytes: Buffer.from(`"didCreatedAt":${JSON.stringify(creation.createdAt)},`),
      }
      createdAtParts.set(creation, parts)
    }
    created = parts.bytes
    age = secondsSince(parts.ms, eventTime)
  }
  let tail: Buffer = NO_PROFILE
  if (profile) {
    const known = profileBytes.get(profile)
    tail = known ?? Buffer.from(`,"profile":${profile.json}}`)
    if (known === undefined) profileBytes.set(profile, tail)
  }
  // ASCII: its length is its size in bytes
  const ageJson = `"accountAge":${age}`
  const size = head.length + (created?.length ?? 0) + ageJson.length + tail.length
  return new RawJson(created ? [head, created, ageJson, tail] : [head, ageJson, tail], size)
}
