// The moderator's session on their PDS: com.atproto.server.createSession, then
// refreshSession ahead of the access token's expiry (read from the JWT's exp, no timer: the
// next call that needs a token refreshes) and whenever the server says ExpiredToken. Refresh
// tokens rotate: each refresh keeps the new one. A refused refresh falls back to a new login.
// One login or refresh runs at a time. The password is sent in the createSession body and
// nowhere else: never logged, never part of an error.
import type { Logger } from 'pino'
import { type Failure, type FailureContext, loginFailure, refreshFailure } from './ozone-failures.ts'
import type { XrpcCall } from './xrpc-call.ts'

export interface OzoneSessionConfig {
  readonly pdsHost: string
  readonly identifier: string
  readonly password: string
  readonly labelerDid: string
  readonly requestTimeoutMs: number
}

/** a failed login or refresh, classified (ozone-failures.ts) */
export class OzoneFailure extends Error {
  override readonly name = 'OzoneFailure'
  readonly failure: Failure
  constructor(failure: Failure, options?: ErrorOptions) {
    super(failure.kind === 'config' ? failure.problem : failure.message, options)
    this.failure = failure
  }
}

export interface OzoneSession {
  /** an access token that is not about to expire (logs in or refreshes first when needed) */
  token(signal?: AbortSignal): Promise<string>
  /** the server refused `token` as expired or invalid: the next token() renews it */
  invalidate(token: string): void
  /** the DID of the logged-in account, once logged in */
  readonly did: string | undefined
  readonly logins: number
  readonly refreshes: number
}

interface Tokens {
  readonly access: string
  readonly refresh: string
  /** ms epoch when the access token should be renewed */
  readonly renewAtMs: number
}

/** exp and iat of a JWT, read without verifying it (the PDS verifies its own tokens) */
function jwtTimes(jwt: string): { expMs: number; iatMs: number } | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown
      iat?: unknown
    }
    if (typeof payload.exp !== 'number') return undefined
    const expMs = payload.exp * 1000
    return { expMs, iatMs: typeof payload.iat === 'number' ? payload.iat * 1000 : expMs }
  } catch {
    return undefined
  }
}

/** renew a fifth of the lifetime before expiry, at most 5 min before; unknown exp: in 10 min */
export function renewAt(accessJwt: string, nowMs: number): number {
  const t = jwtTimes(accessJwt)
  if (!t) return nowMs + 10 * 60_000
  const lifetime = Math.max(0, t.expMs - t.iatMs)
  return t.expMs - Math.min(5 * 60_000, lifetime / 5)
}

export function createOzoneSession(
  config: OzoneSessionConfig,
  deps: { call: XrpcCall; logger: Logger; now?: () => number },
): OzoneSession {
  const now = deps.now ?? Date.now
  const ctx: FailureContext = config
  let tokens: Tokens | undefined
  let did: string | undefined
  let renewing: Promise<Tokens> | undefined
  let logins = 0
  let refreshes = 0

  const request = { baseUrl: config.pdsHost, timeoutMs: config.requestTimeoutMs, maxBytes: 1 << 20 }

  const accept = (body: unknown, what: string): Tokens => {
    const b = body as { accessJwt?: unknown; refreshJwt?: unknown; did?: unknown }
    if (typeof b?.accessJwt !== 'string' || typeof b.refreshJwt !== 'string') {
      throw new OzoneFailure({ kind: 'fatal', message: `${what}: the answer has no accessJwt/refreshJwt` })
    }
    if (typeof b.did === 'string') did = b.did
    return { access: b.accessJwt, refresh: b.refreshJwt, renewAtMs: renewAt(b.accessJwt, now()) }
  }

  const login = async (signal?: AbortSignal): Promise<Tokens> => {
    const res = await deps.call({
      ...request,
      method: 'com.atproto.server.createSession',
      body: { identifier: config.identifier, password: config.password },
      signal,
    })
    if (!res.ok) throw new OzoneFailure(loginFailure(res, ctx))
    logins++
    const t = accept(res.body, 'createSession')
    deps.logger.info({ did, identifier: config.identifier, pdsHost: config.pdsHost }, 'logged in')
    return t
  }

  const refresh = async (old: Tokens, signal?: AbortSignal): Promise<Tokens> => {
    const res = await deps.call({
      ...request,
      method: 'com.atproto.server.refreshSession',
      token: old.refresh,
      post: true,
      signal,
    })
    if (!res.ok) throw new OzoneFailure(refreshFailure(res))
    refreshes++
    return accept(res.body, 'refreshSession')
  }

  const renew = (signal?: AbortSignal): Promise<Tokens> => {
    renewing ??= (async () => {
      try {
        const old = tokens
        if (old) {
          try {
            tokens = await refresh(old, signal)
            deps.logger.debug('session refreshed')
            return tokens
          } catch (err) {
            const f = err instanceof OzoneFailure ? err.failure : undefined
            if (f?.kind === 'retry') throw err
            deps.logger.warn({ err: (err as Error).message }, 'session refresh refused; logging in again')
          }
        }
        tokens = undefined
        tokens = await login(signal)
        return tokens
      } finally {
        renewing = undefined
      }
    })()
    return renewing
  }

  return {
    async token(signal) {
      const t = tokens
      if (t && now() < t.renewAtMs) return t.access
      return (await renew(signal)).access
    },
    invalidate(token) {
      if (tokens?.access === token) tokens = { ...tokens, renewAtMs: 0 }
    },
    get did() {
      return did
    },
    get logins() {
      return logins
    },
    get refreshes() {
      return refreshes
    },
  }
}
