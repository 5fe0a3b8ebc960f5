// Handle → DID, as the atproto handle spec (https://atproto.com/specs/handle) resolves it: a DNS
// TXT record `_atproto.<handle>` holding `did=<DID>`, or the body of
// `https://<handle>/.well-known/atproto-did`. Both are asked at once; a DID from DNS wins (as
// indigo: DNS first, HTTPS when DNS has none). The answer is what the handle's domain says,
// `did: null` when both methods answered and neither named a DID (no record, 404, several
// `did=` records, a body that is no DID) — a definite answer, cacheable. When no DID was named
// and a method failed for a reason that may pass (timeout, SERVFAIL, refused, 5xx), it rejects
// with a LookupError: no verdict, nothing cached.
//
// Runs on the identity worker thread (HTTP and DNS off the main thread). `dnsServers` points
// the TXT lookups at given resolvers (--dns-servers; default: the system's). Handles under a
// TLD the spec reserves are never resolved (never valid), except `.test` names listed in
// `devOrigins`: a local test network (the PDS of `<name>.test` serves its well-known at a
// plain-HTTP address), each suffix with the origin its well-known is fetched from, with the
// handle as Host header.
import { Resolver } from 'node:dns/promises'
import { isDid, isHandle } from '../events/atproto-syntax.ts'
import { createTextGetter } from './http-json.ts'
import type { HandleResolution } from './identity-types.ts'
import { LookupError } from './lookup-error.ts'

export interface HandleResolverOptions {
  /** TXT lookups go to these (`ip` or `ip:port`); empty: the system's resolvers */
  readonly dnsServers: readonly string[]
  /** `.test` suffix (with its dot) → origin its handles' well-known is fetched from */
  readonly devOrigins: Readonly<Record<string, string>>
}

// the spec's disallowed TLDs: a handle under one is never valid in the network
const RESERVED_TLDS = new Set([
  'alt',
  'arpa',
  'example',
  'internal',
  'invalid',
  'local',
  'localhost',
  'onion',
  'test',
])
const MAX_BODY_BYTES = 2048 + 16
const PREFIX = 'did='

/** what one method said: a DID, nothing (definite), or a failure that may pass */
type Said = { did: string } | { none: string } | { failed: string }

/** the origin the well-known of a `.test` handle is fetched from, the longest listed suffix first */
function devOriginOf(handle: string, devOrigins: Readonly<Record<string, string>>): string | undefined {
  let best: string | undefined
  for (const suffix of Object.keys(devOrigins))
    if (handle.endsWith(suffix) && (best === undefined || suffix.length > best.length)) best = suffix
  return best === undefined ? undefined : devOrigins[best]
}

/** codes of node:dns that mean "no such name / no such record": a definite answer */
const ABSENT_CODES = new Set(['ENOTFOUND', 'ENODATA'])

export function createHandleResolver(options: HandleResolverOptions) {
  const getText = createTextGetter()

  const viaDns = async (handle: string, signal: AbortSignal): Promise<Said> => {
    // one resolver per lookup: cancel() stops its queries when the deadline passes
    const resolver = new Resolver({ timeout: 1000, tries: 2 })
    if (options.dnsServers.length > 0) resolver.setServers(options.dnsServers)
    const cancel = () => resolver.cancel()
    signal.addEventListener('abort', cancel, { once: true })
    let records: string[][]
    try {
      records = await resolver.resolveTxt(`_atproto.${handle}`)
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      return ABSENT_CODES.has(code) ? { none: `DNS: ${code}` } : { failed: `DNS: ${code || String(err)}` }
    } finally {
      signal.removeEventListener('abort', cancel)
    }
    const dids = records.map((chunks) => chunks.join('')).filter((r) => r.startsWith(PREFIX))
    if (dids.length === 0) return { none: 'DNS: no did= record' }
    if (dids.length > 1) return { none: `DNS: ${dids.length} did= records` }
    const did = dids[0]!.slice(PREFIX.length)
    return isDid(did) ? { did } : { none: 'DNS: did= record holds no DID' }
  }

  const viaHttps = async (handle: string, signal: AbortSignal): Promise<Said> => {
    const dev = devOriginOf(handle, options.devOrigins)
    const url = `${dev ?? `https://${handle}`}/.well-known/atproto-did`
    let answer: Awaited<ReturnType<typeof getText>>
    try {
      answer = await getText(url, {
        signal,
        accept: 'text/plain',
        maxBytes: MAX_BODY_BYTES,
        host: dev === undefined ? undefined : handle,
      })
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? ''
      // the handle's domain does not exist: as definite as DNS saying so
      return code === 'ENOTFOUND' ? { none: 'HTTPS: no such host' } : { failed: `HTTPS: ${code || 'failed'}` }
    }
    const { status, text } = answer
    if (status >= 500) return { failed: `HTTPS: ${status}` }
    if (text === undefined) return { none: `HTTPS: ${status}` }
    const did = (text.split('\n')[0] ?? '').trim()
    return isDid(did) ? { did } : { none: 'HTTPS: the body is no DID' }
  }

  return {
    /** what `handle`'s domain says; rejects with a LookupError when it cannot be told now */
    async resolve(handle: string, signal: AbortSignal): Promise<HandleResolution> {
      const name = handle.toLowerCase()
      const tld = name.slice(name.lastIndexOf('.') + 1)
      if (!isHandle(name)) return { did: null }
      const dev = tld === 'test' && devOriginOf(name, options.devOrigins) !== undefined
      if (RESERVED_TLDS.has(tld) && !dev) return { did: null }
      // HTTPS starts beside DNS (the deadline covers both), and stops when DNS answers with a DID
      const stopHttps = new AbortController()
      const https = viaHttps(name, AbortSignal.any([signal, stopHttps.signal]))
      const dns = await viaDns(name, signal)
      if ('did' in dns) {
        stopHttps.abort()
        return { did: dns.did, via: 'dns' }
      }
      const web = await https
      if ('did' in web) return { did: web.did, via: 'https' }
      if (signal.aborted) throw new LookupError('timeout', `handle ${name}: deadline passed`)
      if ('failed' in dns || 'failed' in web) {
        const why = [dns, web].map((s) => ('failed' in s ? s.failed : s.none)).join('; ')
        throw new LookupError('error', `handle ${name}: ${why}`)
      }
      return { did: null }
    },
  }
}
