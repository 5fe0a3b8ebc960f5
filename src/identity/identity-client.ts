// The HTTP edge of the identity layer: did:plc documents from the configured PLC directory
// (validated with @atcute/identity's schema), did:web documents through
// @atcute/identity-resolver (https://<host>/.well-known/did.json), the PLC audit log, and
// app.bsky.actor.getProfile on the API host. Each call takes the lookup's signal (its
// deadline) and rejects with a LookupError saying why.
import { type DidDocument, defs, getAtprotoHandle, getPdsEndpoint } from '@atcute/identity'
import { DocumentNotFoundError, WebDidDocumentResolver } from '@atcute/identity-resolver'
import * as v from 'valibot'
import { createHandleResolver } from './handle-resolver.ts'
import { createJsonGetter, type GetJson } from './http-json.ts'
import type {
  DidCreation,
  FailureReason,
  HandleResolution,
  Profile,
  ResolvedIdentity,
} from './identity-types.ts'
import { LookupError } from './lookup-error.ts'

export interface IdentityClient {
  resolveDid(did: string, signal: AbortSignal): Promise<ResolvedIdentity>
  /** did:plc only */
  didCreation(did: string, signal: AbortSignal): Promise<DidCreation>
  /** needs an API host */
  profile(did: string, signal: AbortSignal): Promise<Profile>
  /** what the handle's domain says (DNS TXT, HTTPS well-known): the handle spec's resolution */
  resolveHandle(handle: string, signal: AbortSignal): Promise<HandleResolution>
}

export interface IdentityClientOptions {
  readonly plcHost: string
  /** empty: no profiles */
  readonly apiHost: string
  /** TXT lookups of handles go to these (`ip` or `ip:port`); empty: the system's resolvers */
  readonly dnsServers?: readonly string[]
  /** `.test` handle suffix → the origin its handles' well-known is fetched from (a local test network) */
  readonly devHandleOrigins?: Readonly<Record<string, string>>
  /** did:web documents (default: the global fetch); everything else goes over node:http(s) */
  readonly fetch?: typeof fetch
}

// atcute's limit for DID documents; audit logs grow with every PLC operation
const MAX_DOCUMENT_BYTES = 20 * 1024
const MAX_AUDIT_LOG_BYTES = 1024 * 1024
const MAX_PROFILE_BYTES = 64 * 1024
/**
 * The bound of a profile as eventMetadata writes it. Re-serializing a parsed body can make it
 * larger than the body was (`1e20` is written as 21 digits), so the JSON is measured again.
 */
export const MAX_PROFILE_JSON_BYTES = MAX_PROFILE_BYTES
const DID_DOCUMENT_TYPES = 'application/did+ld+json,application/did+json,application/json'

const reasonOf = (err: unknown, signal: AbortSignal): FailureReason =>
  signal.aborted ? 'timeout' : err instanceof DocumentNotFoundError ? 'not_found' : 'error'

export function identityFromDocument(didDocument: DidDocument): ResolvedIdentity {
  const pdsEndpoint = getPdsEndpoint(didDocument)
  const handle = getAtprotoHandle(didDocument) ?? undefined
  let pdsHost: string | undefined
  if (pdsEndpoint) pdsHost = URL.parse(pdsEndpoint)?.hostname || undefined
  return { didDocument, pdsEndpoint, pdsHost, handle }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/**
 * A getProfile answer (ProfileViewDetailed) for `did`, passed through whole as compact JSON.
 * It must be an object naming `did` with a string `handle` (the view's required fields), and
 * its JSON must fit MAX_PROFILE_JSON_BYTES; the reason is thrown otherwise.
 */
export function profileFromView(did: string, view: unknown): Profile {
  if (typeof view !== 'object' || view === null || Array.isArray(view)) throw new Error('not an object')
  const { did: viewDid, handle } = view as Record<string, unknown>
  if (viewDid !== did) throw new Error(`the answer is for ${JSON.stringify(viewDid)}`)
  if (typeof handle !== 'string') throw new Error('no handle')
  const json = JSON.stringify(view)
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long string is measured
  if (json.length * 3 > MAX_PROFILE_JSON_BYTES && Buffer.byteLength(json) > MAX_PROFILE_JSON_BYTES)
    throw new Error(`its JSON exceeds ${MAX_PROFILE_JSON_BYTES} bytes`)
  return { json }
}

export function createIdentityClient(options: IdentityClientOptions): IdentityClient {
  const getJson = createJsonGetter()
  const plcHost = options.plcHost.replace(/\/+$/, '')
  const apiHost = options.apiHost.replace(/\/+$/, '')
  const web = new WebDidDocumentResolver({ fetch: options.fetch ?? fetch })
  const handles = createHandleResolver({
    dnsServers: options.dnsServers ?? [],
    devOrigins: options.devHandleOrigins ?? {},
  })

  /** the body of a 2xx answer; 404 and 410 (a tombstoned DID) are not_found, 400 too */
  const get = async (url: string, what: string, signal: AbortSignal, accept: string, maxBytes: number) => {
    let answer: Awaited<ReturnType<GetJson>>
    try {
      answer = await getJson(url, { signal, accept, maxBytes })
    } catch (err) {
      throw new LookupError(reasonOf(err, signal), `${what}: request failed`, { cause: err })
    }
    const { status } = answer
    if (status === 404 || status === 410 || status === 400)
      throw new LookupError('not_found', `${what}: HTTP ${status}`)
    if (status < 200 || status > 299) throw new LookupError('error', `${what}: HTTP ${status}`)
    return answer.body
  }

  const plcDocument = async (did: string, signal: AbortSignal): Promise<DidDocument> => {
    const what = `resolving ${did}`
    const body = await get(
      `${plcHost}/${encodeURIComponent(did)}`,
      what,
      signal,
      DID_DOCUMENT_TYPES,
      MAX_DOCUMENT_BYTES,
    )
    const parsed = v.safeParse(defs.didDocument, body)
    if (!parsed.success)
      throw new LookupError('error', `${what}: not a DID document: ${parsed.issues[0].message}`)
    if (parsed.output.id !== did)
      throw new LookupError('error', `${what}: the document is for ${parsed.output.id}`)
    return parsed.output
  }

  const webDocument = async (did: string, signal: AbortSignal): Promise<DidDocument> => {
    try {
      return await web.resolve(did as Parameters<typeof web.resolve>[0], { signal })
    } catch (err) {
      throw new LookupError(reasonOf(err, signal), `resolving ${did} failed`, { cause: err })
    }
  }

  return {
    async resolveDid(did, signal) {
      if (did.startsWith('did:plc:')) return identityFromDocument(await plcDocument(did, signal))
      if (did.startsWith('did:web:')) return identityFromDocument(await webDocument(did, signal))
      throw new LookupError('error', `resolving ${did}: unsupported DID method`)
    },
    async didCreation(did, signal) {
      const log = await get(
        `${plcHost}/${encodeURIComponent(did)}/log/audit`,
        `audit log of ${did}`,
        signal,
        'application/json',
        MAX_AUDIT_LOG_BYTES,
      )
      const first = Array.isArray(log) ? (log[0] as { createdAt?: unknown } | undefined) : undefined
      const createdAt = str(first?.createdAt)
      if (!createdAt) throw new LookupError('error', `audit log of ${did}: no createdAt in its first entry`)
      return { createdAt }
    },
    async profile(did, signal) {
      if (!apiHost) throw new LookupError('error', 'no API host configured')
      const url = `${apiHost}/xrpc/app.bsky.actor.getProfile?actor=${encodeURIComponent(did)}`
      const view = await get(url, `profile of ${did}`, signal, 'application/json', MAX_PROFILE_BYTES)
      try {
        return profileFromView(did, view)
      } catch (err) {
        throw new LookupError('error', `profile of ${did}: ${(err as Error).message}`)
      }
    },
    resolveHandle: handles.resolve,
  }
}
