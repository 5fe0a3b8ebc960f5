// The planner's I/O: one page of com.atproto.sync.listRepos / listReposByCollection (retried
// with backoff on 429, 5xx and network failures, Retry-After honoured), and a DID's PDS from its
// document (the identity client relay mode uses, PLC or did:web). The relay's current seq:
// sources/relay/current-seq.ts.
import { createIdentityClient } from '../identity/identity-client.ts'
import { backoffDelay, pause } from '../sources/backoff.ts'
import { retryAfterMs } from './host-limits.ts'
import type { Listed, PlannerDeps } from './planner.ts'

const ATTEMPTS = 6
const TIMEOUT_MS = 30_000
const MAX_PAGE_BYTES = 8 << 20

export function createListPage(): PlannerDeps['listPage'] {
  return async (host, method, params, signal) => {
    const url = new URL(`/xrpc/${method}`, host)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    let last: unknown
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await pause(backoffDelay(attempt - 1, 500, 30_000), signal)
      signal.throwIfAborted()
      let res: Response
      try {
        res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) })
      } catch (err) {
        if (signal.aborted) throw err
        last = err
        continue
      }
      if (res.status === 429 || res.status >= 500) {
        const wait = retryAfterMs(res.headers, Date.now(), 60_000)
        await res.body?.cancel()
        last = new Error(`${method} on ${url.host}: HTTP ${res.status}`)
        if (wait !== undefined) await pause(wait, signal)
        continue
      }
      const text = await res.text()
      if (text.length > MAX_PAGE_BYTES)
        throw new Error(`${method} on ${url.host}: a page of ${text.length} bytes`)
      if (!res.ok) throw new Error(`${method} on ${url.host}: HTTP ${res.status}: ${text.slice(0, 300)}`)
      return parsePage(text, `${method} on ${url.host}`)
    }
    throw new Error(`${method} on ${url.host}: failed ${ATTEMPTS} times`, { cause: last })
  }
}

/** a listing page: repos with a string DID (others are left for the planner to count), an optional cursor */
function parsePage(text: string, what: string): { repos: Listed[]; cursor?: string } {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (err) {
    throw new Error(`${what}: the answer is not JSON`, { cause: err })
  }
  const { repos, cursor } = (body ?? {}) as { repos?: unknown; cursor?: unknown }
  if (!Array.isArray(repos)) throw new Error(`${what}: no repos array`)
  const out: Listed[] = []
  for (const r of repos) {
    if (typeof r !== 'object' || r === null || typeof (r as { did?: unknown }).did !== 'string') continue
    const { did, rev, active } = r as { did: string; rev?: unknown; active?: unknown }
    out.push({
      did,
      ...(typeof rev === 'string' ? { rev } : {}),
      ...(typeof active === 'boolean' ? { active } : {}),
    })
  }
  return typeof cursor === 'string' && cursor !== '' ? { repos: out, cursor } : { repos: out }
}

export function createResolvePds(plcHost: string): PlannerDeps['resolvePds'] {
  const client = createIdentityClient({ plcHost, apiHost: '' })
  return async (did, signal) => {
    const { pdsEndpoint } = await client.resolveDid(
      did,
      AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
    )
    const url = pdsEndpoint === undefined ? undefined : URL.parse(pdsEndpoint)
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined
    return url.origin
  }
}
