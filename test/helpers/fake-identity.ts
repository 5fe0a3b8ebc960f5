// A loopback stand-in for the PLC directory (GET /<did>, GET /<did>/log/audit) and an API host
// (GET /xrpc/app.bsky.actor.getProfile) for tests of faults a real PLC does not have: DIDs whose
// requests hang until released, DIDs that answer 500. Every other DID gets a document naming
// `pdsFor(did)` as its PDS. Profiles carry a per-DID counter (`displayName: "<did> #N"`, N = the
// Nth profile request for that DID), so a test can tell a refetch from a cached answer.
//
// Its answers are what the real upstreams serve, not shapes typed from memory
// (upstream-schemas.ts): each DID gets a genesis operation made by @did-plc/lib, its document
// is that library's formatDidDoc of it and its audit log the PLC's exported-operation format,
// both checked against @did-plc/lib's schemas; each profile is checked against the
// app.bsky.actor.defs#profileViewDetailed lexicon, unknown keys refused. The operations carry
// one real signature made at start (atkafka never verifies them): signing each DID's own
// (~1 ms of pure-JS secp256k1) would stall the test process that runs atkafka, and with it the
// lookups whose deadlines the tests check.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { checkExact, checkLexicon, type Keypair, loadUpstreamSchemas } from './upstream-schemas.ts'

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
  const schemas = await loadUpstreamSchemas()
  const { plc } = schemas
  const hold = new Set<string>()
  const fail = new Set<string>()
  const requests = { doc: [] as string[], audit: [] as string[], profile: [] as string[] }
  const waiting = new Map<string, (() => void)[]>()
  const profileCount = new Map<string, number>()
  const pdsFor = options.pdsFor ?? (() => 'https://pds.example.com')
  const handleFor =
    options.handleFor ?? ((did: string) => `${did.slice(-8).replace(/[^a-z0-9]/g, 'x')}.example.com`)
  const createdAt = options.createdAt ?? '2024-01-01T00:00:00.000Z'
  const key: Keypair = await schemas.createKeypair()
  const rotationKeys = [key.did()]
  const { sig } = await plc.atprotoOp({
    signingKey: key.did(),
    handle: 'template.example.com',
    pds: 'https://pds.example.com',
    rotationKeys,
    prev: null,
    signer: key,
  })

  /** the DID's document and audit log, as @did-plc/server serves them */
  const plcAnswers = new Map<string, Promise<{ doc: string; audit: string }>>()
  const plcAnswer = (did: string) => {
    let answer = plcAnswers.get(did)
    if (!answer) {
      answer = (async () => {
        const unsigned = plc.formatAtprotoOp({
          signingKey: key.did(),
          handle: handleFor(did),
          pds: pdsFor(did),
          rotationKeys,
          prev: null,
        })
        const operation = { ...unsigned, sig }
        const doc = plc.formatDidDoc(plc.opToData(did, operation))
        checkExact(plc.didDocument, doc, `the fake PLC's document of ${did}`)
        const { cid } = await plc.getLastOpWithCid([operation])
        const entry = { did, operation, cid: cid.toString(), nullified: false, createdAt }
        checkExact(plc.exportedOp, entry, `the fake PLC's audit log entry of ${did}`)
        return { doc: JSON.stringify(doc), audit: JSON.stringify([entry]) }
      })()
      plcAnswers.set(did, answer)
    }
    return answer
  }

  /** app.bsky.actor.getProfile's answer: a profileViewDetailed, checked against its lexicon */
  const profileAnswer = (did: string): string => {
    const n = (profileCount.get(did) ?? 0) + 1
    profileCount.set(did, n)
    const view = {
      did,
      handle: handleFor(did),
      displayName: `${did} #${n}`,
      description: 'a profile served by the fake API host',
      avatar: `https://cdn.example.com/img/avatar/plain/${did}/avatar@jpeg`,
      associated: {
        lists: 0,
        feedgens: 0,
        starterPacks: 0,
        labeler: false,
        activitySubscription: { allowSubscriptions: 'followers' },
      },
      followersCount: 10,
      followsCount: 5,
      postsCount: n,
      indexedAt: createdAt,
      createdAt,
      viewer: { muted: false, blockedBy: false },
      labels: [],
    }
    checkLexicon(schemas.profileViewDetailed, view, `the fake API host's profile of ${did}`)
    return JSON.stringify(view)
  }

  const answer = async (did: string, kind: 'doc' | 'audit' | 'profile', res: ServerResponse) => {
    if (fail.has(did)) {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"InternalServerError"}')
      return
    }
    let body: string
    let type = 'application/json'
    if (kind === 'profile') body = profileAnswer(did)
    else {
      const answers = await plcAnswer(did)
      body = kind === 'doc' ? answers.doc : answers.audit
      // what @did-plc/server sends a document as
      if (kind === 'doc') type = 'application/did+ld+json'
    }
    if (!res.writableEnded && !res.destroyed) res.writeHead(200, { 'content-type': type }).end(body)
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
      const reply = () => void answer(did, kind, res)
      list.push(reply)
      waiting.set(did, list)
      // a request its client gave up on (aborted) is no longer held
      res.on('close', () => {
        if (!res.writableEnded) list.splice(list.indexOf(reply) >>> 0, 1)
      })
      return
    }
    void answer(did, kind, res)
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
