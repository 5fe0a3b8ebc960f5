// The HTTP edge of the identity layer: DID documents through @atcute/identity-resolver
// (did:plc from the configured PLC directory, did:web from https://<host>/.well-known/did.json),
// the PLC audit log, and app.bsky.actor.getProfile on the API host. Each call takes the
// lookup's signal (its deadline) and rejects with a LookupError saying why.
import { type DidDocument, getAtprotoHandle, getPdsEndpoint } from '@atcute/identity'
import {
  CompositeDidDocumentResolver,
  DocumentNotFoundError,
  PlcDidDocumentResolver,
  WebDidDocumentResolver,
} from '@atcute/identity-resolver'
import { IdentityLookupError } from '../errors.ts'
import type { DidCreation, FailureReason, Profile, ResolvedIdentity } from './identity-types.ts'

export class LookupError extends IdentityLookupError {
  readonly reason: FailureReason
  constructor(reason: FailureReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

export interface IdentityClient {
  resolveDid(did: string, signal: AbortSignal): Promise<ResolvedIdentity>
  /** did:plc only */
  didCreation(did: string, signal: AbortSignal): Promise<DidCreation>
  /** needs an API host */
  profile(did: string, signal: AbortSignal): Promise<Profile>
}

export interface IdentityClientOptions {
  readonly plcHost: string
  /** empty: no profiles */
  readonly apiHost: string
  readonly fetch?: typeof fetch
}

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
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** the fields kept from a getProfile answer (ProfileViewDetailed) */
export function profileFromView(view: Record<string, unknown>): Profile {
  return {
    displayName: str(view.displayName),
    description: str(view.description),
    followersCount: num(view.followersCount),
    followingCount: num(view.followingCount),
    postsCount: num(view.postsCount),
    avatar: str(view.avatar),
    banner: str(view.banner),
  }
}

export function createIdentityClient(options: IdentityClientOptions): IdentityClient {
  const fetchFn = options.fetch ?? fetch
  const plcHost = options.plcHost.replace(/\/+$/, '')
  const apiHost = options.apiHost.replace(/\/+$/, '')
  const resolver = new CompositeDidDocumentResolver({
    methods: {
      plc: new PlcDidDocumentResolver({ apiUrl: plcHost, fetch: fetchFn }),
      web: new WebDidDocumentResolver({ fetch: fetchFn }),
    },
  })

  const getJson = async (url: string, what: string, signal: AbortSignal): Promise<unknown> => {
    let res: Response
    try {
      res = await fetchFn(url, { signal, headers: { accept: 'application/json' } })
    } catch (err) {
      throw new LookupError(reasonOf(err, signal), `${what}: request failed`, { cause: err })
    }
    if (res.status === 404 || res.status === 400) {
      await res.body?.cancel()
      throw new LookupError('not_found', `${what}: HTTP ${res.status}`)
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw new LookupError('error', `${what}: HTTP ${res.status}`)
    }
    try {
      return await res.json()
    } catch (err) {
      throw new LookupError(reasonOf(err, signal), `${what}: unreadable JSON`, { cause: err })
    }
  }

  return {
    async resolveDid(did, signal) {
      try {
        return identityFromDocument(
          await resolver.resolve(did as Parameters<typeof resolver.resolve>[0], { signal }),
        )
      } catch (err) {
        throw new LookupError(reasonOf(err, signal), `resolving ${did} failed`, { cause: err })
      }
    },
    async didCreation(did, signal) {
      const log = await getJson(
        `${plcHost}/${encodeURIComponent(did)}/log/audit`,
        `audit log of ${did}`,
        signal,
      )
      const first = Array.isArray(log) ? (log[0] as { createdAt?: unknown } | undefined) : undefined
      const createdAt = str(first?.createdAt)
      if (!createdAt) throw new LookupError('error', `audit log of ${did}: no createdAt in its first entry`)
      return { createdAt }
    },
    async profile(did, signal) {
      if (!apiHost) throw new LookupError('error', 'no API host configured')
      const url = `${apiHost}/xrpc/app.bsky.actor.getProfile?actor=${encodeURIComponent(did)}`
      const view = await getJson(url, `profile of ${did}`, signal)
      if (typeof view !== 'object' || view === null)
        throw new LookupError('error', `profile of ${did}: not an object`)
      return profileFromView(view as Record<string, unknown>)
    },
  }
}
