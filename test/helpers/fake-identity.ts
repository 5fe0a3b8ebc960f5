// A loopback stand-in for the PLC directory (GET /<did>, GET /<did>/log/audit) and an API host
// (GET /xrpc/app.bsky.actor.getProfile) for tests of faults a real PLC does not have: DIDs whose
// requests hang until released, DIDs that answer 500. Every other DID gets a document naming
// `pdsFor(did)` as its PDS. Profiles carry a per-DID counter (`displayName: "<did> #N"`, N = the
// Nth profile request for that DID), so a test can tell a refetch from a cached answer.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeIdentityOptions {
  /** PDS endpoint in each DID's document (default https://pds.example.com) */
  readonly pdsFor?: (did: string) => string
  /** handle in each DID's document (default <last 8 chars of the DID>.example.com) */
  readonly handleFor?: (did: string) => string
  /** PLC audit log createdAt (default 2024-01-01T00:00:00.000Z) */
  readonly createdAt?: string
}

export interface FakeIdentity extends AsyncDisposable {
  readonly url: string
  /** requests for these DIDs (any path) hang until release(did) */
  readonly hold: Set<string>
  /** requests for these DIDs answer 500 */
  readonly fail: Set<string>
  /** requests per kind: doc, audit, profile */
  readonly requests: { doc: string[]; audit: string[]; profile: string[] }
  /** requests hanging now (not counting those their client aborted) */
  readonly held: number
  /** answers the held requests of this DID (as if it was never held) and stops holding it */
  release(did: string): void
  close(): Promise<void>
}

export async function startFakeIdentity(options: FakeIdentityOptions = {}): Promise<FakeIdentity> {
  const hold = new Set<string>()
  const fail = new Set<string>()
  const requests = { doc: [] as string[], audit: [] as string[], profile: [] as string[] }
  const waiting = new Map<string, (() => void)[]>()
  const profileCount = new Map<string, number>()
  const pdsFor = options.pdsFor ?? (() => 'https://pds.example.com')
  const handleFor =
    options.handleFor ?? ((did: string) => `${did.slice(-8).replace(/[^a-z0-9]/g, 'x')}.example.com`)

  const answer = (did: string, kind: 'doc' | 'audit' | 'profile', res: ServerResponse) => {
    if (fail.has(did)) {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"InternalServerError"}')
      return
    }
    let body: unknown
    if (kind === 'doc') {
      body = {
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: did,
        alsoKnownAs: [`at://${handleFor(did)}`],
        verificationMethod: [],
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pdsFor(did) }],
      }
    } else if (kind === 'audit') {
      body = [
        {
          did,
          operation: {},
          cid: 'bafy',
          nullified: false,
          createdAt: options.createdAt ?? '2024-01-01T00:00:00.000Z',
        },
      ]
    } else {
      const n = (profileCount.get(did) ?? 0) + 1
      profileCount.set(did, n)
      body = {
        did,
        handle: handleFor(did),
        displayName: `${did} #${n}`,
        followersCount: 10,
        followingCount: 5,
        postsCount: n,
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x')
    let did: string
    let kind: 'doc' | 'audit' | 'profile'
    if (url.pathname === '/xrpc/app.bsky.actor.getProfile') {
      did = url.searchParams.get('actor') ?? ''
      kind = 'profile'
    } else {
      const parts = url.pathname.split('/').map(decodeURIComponent)
      did = parts[1] ?? ''
      kind = parts[2] === 'log' ? 'audit' : 'doc'
    }
    if (!did.startsWith('did:')) {
      res.writeHead(404).end()
      return
    }
    requests[kind].push(did)
    if (hold.has(did)) {
      const list = waiting.get(did) ?? []
      const reply = () => answer(did, kind, res)
      list.push(reply)
      waiting.set(did, list)
      // a request its client gave up on (aborted) is no longer held
      res.on('close', () => {
        if (!res.writableEnded) list.splice(list.indexOf(reply) >>> 0, 1)
      })
      return
    }
    answer(did, kind, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const close = async () => {
    for (const list of waiting.values()) for (const f of list) f()
    waiting.clear()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    url,
    hold,
    fail,
    requests,
    get held() {
      let n = 0
      for (const list of waiting.values()) n += list.length
      return n
    },
    release(did) {
      hold.delete(did)
      const list = waiting.get(did) ?? []
      waiting.delete(did)
      for (const f of list) f()
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
