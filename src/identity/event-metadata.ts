// `eventMetadata`, as the Go original writes it and production Osprey rules read it
// (haileyok/atproto-ruleset: handle, pdsHost, didCreatedAt, accountAge, profile.*): pure.
import type { DidDocument } from '@atcute/identity'
import { RawJson } from '../encode/raw-json.ts'
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
  withDocument = true,
): EventMetadata {
  return {
    didDocument: withDocument ? identity.didDocument : undefined,
    pdsHost: identity.pdsEndpoint,
    handle: identity.handle,
    didCreatedAt: creation?.createdAt,
    accountAge: accountAgeSeconds(creation?.createdAt, eventTime),
    profile: profile ?? null,
  }
}

// the per-DID parts, serialized once per cached value (the values are immutable)
const identityJson = new WeakMap<ResolvedIdentity, string>()
const identityJsonWithoutDocument = new WeakMap<ResolvedIdentity, string>()
const profileJson = new WeakMap<Profile, string>()
const createdAtMs = new WeakMap<DidCreation, number>()
// `"didCreatedAt":"…",` per audit-log value, without the leading separator
const createdAtJson = new WeakMap<DidCreation, string>()

/**
 * The same JSON as JSON.stringify(buildEventMetadata(…)), built from parts serialized once
 * per DID: per event only accountAge is computed.
 */
export function eventMetadataJson(
  identity: ResolvedIdentity,
  creation: DidCreation | undefined,
  profile: Profile | undefined,
  eventTime: string,
  withDocument = true,
): RawJson {
  const heads = withDocument ? identityJson : identityJsonWithoutDocument
  let head = heads.get(identity)
  if (head === undefined) {
    const { pdsEndpoint, handle } = identity
    const didDocument = withDocument ? identity.didDocument : undefined
    // `{…` without its closing brace; `{}` (nothing known) becomes `{`
    head = JSON.stringify({ didDocument, pdsHost: pdsEndpoint, handle }).slice(0, -1)
    heads.set(identity, head)
  }
  let age = -1
  let createdPart = ''
  if (creation) {
    let created = createdAtMs.get(creation)
    if (created === undefined) {
      created = Date.parse(creation.createdAt)
      createdAtMs.set(creation, created)
    }
    const known = createdAtJson.get(creation)
    createdPart = known ?? `"didCreatedAt":${JSON.stringify(creation.createdAt)},`
    if (known === undefined) createdAtJson.set(creation, createdPart)
    const at = Date.parse(eventTime)
    if (Number.isFinite(created) && Number.isFinite(at)) age = Math.max(0, Math.floor((at - created) / 1000))
  }
  let tail = 'null'
  if (profile) {
    const known = profileJson.get(profile)
    tail = known ?? JSON.stringify(profile)
    if (known === undefined) profileJson.set(profile, tail)
  }
  const sep = head === '{' ? '' : ','
  return new RawJson(`${head}${sep}${createdPart}"accountAge":${age},"profile":${tail}}`)
}
