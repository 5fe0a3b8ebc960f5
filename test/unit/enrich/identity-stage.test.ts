// The identity stage with lookups whose answers the test controls: a slow DID holds up only
// its own events, each DID's events come out in input order, failures go on without metadata
// (counted), service filters fail open or closed as configured, #identity and profile writes
// invalidate.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createIdentityStage } from '../../../src/enrich/identity-stage.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { createServiceFilter } from '../../../src/filters/service-filter.ts'
import { identityFromDocument } from '../../../src/identity/identity-client.ts'
import { createLookups } from '../../../src/identity/identity-lookups.ts'
import type { LookupKind, LookupValues } from '../../../src/identity/identity-types.ts'
import { createTokenBucket } from '../../../src/identity/token-bucket.ts'
import type { ResolvedEvent } from '../../../src/pipeline/types.ts'

const doc = (did: string, pds: string, handle: string) =>
  identityFromDocument({
    '@context': ['https://www.w3.org/ns/did/v1'],
    id: did,
    alsoKnownAs: [`at://${handle}`],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  } as never)

type Gate = { release: () => void; promise: Promise<void> }
const gate = (): Gate => {
  let release = () => {}
  const promise = new Promise<void>((r) => {
    release = r
  })
  return { release, promise }
}

function world(
  opts: {
    timeoutMs?: number
    services?: { matched?: string[]; ignored?: string[] }
    onUnresolved?: 'open' | 'closed'
    /** verify handles: each handle's resolution comes from `named` (absent: names no DID) */
    verifyHandles?: boolean
    /** the stage's deadline, when it differs from the lookups' */
    stageTimeoutMs?: number
  } = {},
) {
  const gates = new Map<string, Gate>()
  const fetched: Record<LookupKind, string[]> = { did_doc: [], audit_log: [], profile: [], handle: [] }
  /** handle → the DID its domain names */
  const named = new Map<string, string>()
  const handles = new Map<string, string>()
  const counts = { filtered: 0, pass: 0, drop: 0, complete: 0, partial: 0, none: 0 }
  const make = <K extends LookupKind>(kind: K, value: (did: string) => LookupValues[K]) =>
    createLookups({
      kind,
      cache: { size: 100, ttlMs: 60_000 },
      timeoutMs: opts.timeoutMs ?? 5_000,
      bucketFor: () => createTokenBucket(0),
      fetch: async (did, signal) => {
        fetched[kind].push(did)
        const g = gates.get(did)
        if (g) await Promise.race([g.promise, new Promise((_, rej) => signal.addEventListener('abort', rej))])
        if (did.includes('broken')) throw new Error('upstream says no')
        return value(did)
      },
      observer: { request: () => {} },
    })
  const didDocs = make('did_doc', (did) =>
    doc(
      did,
      did.includes('other') ? 'https://pds.other.org' : 'https://pds1.host.bsky.network',
      handles.get(did) ?? 'a.test',
    ),
  )
  const auditLogs = make('audit_log', () => ({ createdAt: '2024-01-01T00:00:00.000Z' }))
  const profiles = make('profile', (did) => ({
    json: JSON.stringify({
      did,
      handle: 'a.test',
      displayName: `name of ${did}`,
      followersCount: fetched.profile.length,
    }),
  }))
  const handleLookups = opts.verifyHandles
    ? make('handle', (handle) => ({ did: named.get(handle) ?? null }))
    : undefined
  const verdicts: string[] = []
  const errors: unknown[] = []
  const stage = createIdentityStage({
    didDocs,
    auditLogs,
    profiles,
    handles: handleLookups,
    timeoutMs: opts.stageTimeoutMs ?? opts.timeoutMs ?? 5_000,
    enrich: true,
    serviceFilter: opts.services
      ? createServiceFilter({ matched: opts.services.matched ?? [], ignored: opts.services.ignored ?? [] })
      : undefined,
    onUnresolved: opts.onUnresolved ?? 'open',
    observer: {
      serviceFiltered: () => counts.filtered++,
      serviceUnresolved: (d) => counts[d]++,
      enriched: (r) => counts[r]++,
      handleVerified: (v) => verdicts.push(v),
    },
    onError: (err) => errors.push(err),
  })
  const out: ResolvedEvent[] = []
  const push = (...events: AtprotoEvent[]) => stage.process(events, (kept) => out.push(...kept))
  return { stage, gates, fetched, handles, named, verdicts, counts, out, push, errors }
}

interface Meta {
  pdsHost?: string
  handle?: string
  didCreatedAt?: string
  accountAge: number
  profile: { displayName?: string } | null
}
const meta = (r: ResolvedEvent | undefined) =>
  r?.metadata === undefined ? undefined : (JSON.parse(r.metadata.json) as Meta)

let n = 0
const op = (did: string, collection = 'app.bsky.feed.post'): AtprotoEvent => ({
  kind: 'operation',
  did,
  seq: ++n,
  rev: 'r',
  time: '2024-01-02T00:00:00.000Z',
  action: 'create',
  collection,
  rkey: String(n),
})
const settle = () => new Promise((r) => setTimeout(r, 5))

test('a slow DID holds up only its own events; every DID keeps its input order', async () => {
  const w = world()
  const slow = gate()
  w.gates.set('did:plc:slow', slow)
  const input: AtprotoEvent[] = []
  for (let i = 0; i < 5; i++) {
    for (const did of ['did:plc:slow', 'did:plc:fast1', 'did:plc:fast2']) {
      const e = op(did)
      input.push(e)
      w.push(e)
    }
  }
  await settle()
  // the fast DIDs are through while the slow one's lookup hangs
  assert.equal(w.out.length, 10)
  assert.ok(w.out.every((r) => r.event.kind !== 'info' && r.event.did !== 'did:plc:slow'))
  assert.equal(w.stage.waitingDids, 1)
  slow.release()
  await settle()
  assert.equal(w.out.length, 15)
  for (const did of ['did:plc:slow', 'did:plc:fast1', 'did:plc:fast2']) {
    const seqs = (events: AtprotoEvent[]) =>
      events.filter((e) => e.kind === 'operation' && e.did === did).map((e) => (e as { seq: number }).seq)
    assert.deepEqual(seqs(w.out.map((r) => r.event)), seqs(input), `${did} in order`)
  }
  // one lookup per DID and kind, however many events
  assert.equal(w.fetched.did_doc.length, 3)
  assert.equal(w.stage.waitingDids, 0)
  const m = meta(w.out[0])!
  assert.equal(m.pdsHost, 'https://pds1.host.bsky.network')
  assert.equal(m.handle, 'a.test')
  assert.equal(m.didCreatedAt, '2024-01-01T00:00:00.000Z')
  assert.equal(m.accountAge, 86_400)
  assert.equal(m.profile?.displayName, `name of ${w.out[0]!.event.kind !== 'info' && w.out[0]!.event.did}`)
  assert.equal(w.counts.complete, 15)
})

test('cached DIDs are emitted synchronously; a lookup past its deadline yields the event without metadata, counted', async () => {
  const w = world({ timeoutMs: 30 })
  w.push(op('did:plc:a'))
  await settle()
  w.out.length = 0
  w.push(op('did:plc:a'))
  assert.equal(w.out.length, 1, 'synchronous when cached')
  w.gates.set('did:plc:hang', gate())
  w.push(op('did:plc:hang'), { kind: 'info', name: 'OutdatedCursor', time: 't' })
  await new Promise((r) => setTimeout(r, 100))
  const hung = w.out.find((r) => r.event.kind === 'operation' && r.event.did === 'did:plc:hang')
  assert.ok(hung, 'the event came out')
  assert.equal(hung.metadata, undefined)
  assert.equal(w.counts.none, 1)
  assert.ok(w.out.some((r) => r.event.kind === 'info'))
})

test('a failing audit log or profile gives partial metadata; a failing DID document gives none', async () => {
  const w = world()
  w.push(op('did:plc:broken'))
  await settle()
  assert.equal(w.out[0]!.metadata, undefined)
  assert.equal(w.counts.none, 1)
})

test('matched services: other PDS hosts are left out; unresolved DIDs pass (open) or are dropped (closed), counted', async () => {
  for (const onUnresolved of ['open', 'closed'] as const) {
    const w = world({ services: { matched: ['*.bsky.network'] }, onUnresolved })
    w.push(op('did:plc:mine'), op('did:plc:other'), op('did:plc:broken'))
    await settle()
    const dids = w.out.map((r) => (r.event.kind === 'operation' ? r.event.did : ''))
    assert.deepEqual(dids, onUnresolved === 'open' ? ['did:plc:mine', 'did:plc:broken'] : ['did:plc:mine'])
    assert.equal(w.counts[onUnresolved === 'open' ? 'pass' : 'drop'], 1)
    assert.equal(w.counts.filtered, onUnresolved === 'open' ? 1 : 2)
  }
  const w = world({ services: { ignored: ['bsky.network'] } })
  w.push(op('did:plc:mine'), op('did:plc:other'))
  await settle()
  assert.deepEqual(
    w.out.map((r) => (r.event.kind === 'operation' ? r.event.did : '')),
    ['did:plc:other'],
  )
})

test('#identity invalidates the DID document (new handle), a profile write the profile; the events before keep the old values', async () => {
  const w = world()
  w.push(op('did:plc:a'))
  await settle()
  assert.equal(meta(w.out[0])?.handle, 'a.test')
  w.handles.set('did:plc:a', 'renamed.test')
  w.push(op('did:plc:a'))
  assert.equal(meta(w.out[1])?.handle, 'a.test', 'cached until told')
  w.push({
    kind: 'identity',
    did: 'did:plc:a',
    seq: ++n,
    time: '2024-01-02T00:00:00Z',
    handle: 'renamed.test',
  })
  w.push(op('did:plc:a'))
  await settle()
  assert.deepEqual(
    w.out.slice(2).map((r) => [r.event.kind, meta(r)?.handle]),
    [
      ['identity', 'renamed.test'],
      ['operation', 'renamed.test'],
    ],
  )
  assert.equal(w.fetched.did_doc.length, 2)
  assert.equal(w.fetched.profile.length, 1)
  w.push(op('did:plc:a', 'app.bsky.actor.profile'))
  await settle()
  assert.equal(w.fetched.profile.length, 2)
  assert.equal(w.fetched.audit_log.length, 1, 'the creation time is never invalidated')
  assert.deepEqual(w.errors, [])
})

test('verified handles: written as claimed only when the handle names the DID back, else handle.invalid; one resolution per handle', async () => {
  const w = world({ verifyHandles: true })
  w.handles.set('did:plc:good', 'good.example.com')
  w.handles.set('did:plc:unconfirmed', 'nobody.example.com')
  w.handles.set('did:plc:impostor', 'nytimes.com')
  w.named.set('good.example.com', 'did:plc:good')
  w.named.set('nytimes.com', 'did:plc:thenewyorktimes')
  w.push(op('did:plc:good'), op('did:plc:unconfirmed'), op('did:plc:impostor'))
  w.push(op('did:plc:good'))
  await settle()
  const handleOf = (did: string) =>
    w.out.filter((r) => r.event.kind === 'operation' && r.event.did === did).map((r) => meta(r)?.handle)
  assert.deepEqual(handleOf('did:plc:good'), ['good.example.com', 'good.example.com'])
  assert.deepEqual(handleOf('did:plc:unconfirmed'), ['handle.invalid'])
  assert.deepEqual(handleOf('did:plc:impostor'), ['handle.invalid'])
  assert.deepEqual(w.verdicts.sort(), ['not_confirmed', 'other_did', 'valid', 'valid'])
  assert.deepEqual(w.fetched.handle.sort(), ['good.example.com', 'nobody.example.com', 'nytimes.com'])
  // cached: the next event of each is emitted at once, without a new resolution
  w.out.length = 0
  w.push(op('did:plc:good'), op('did:plc:impostor'))
  assert.equal(w.out.length, 2, 'synchronous when the documents and the handles are cached')
  assert.equal(w.fetched.handle.length, 3)
})

test('a handle resolution slower than the deadline: the event goes on with handle.invalid within it; the late answer serves the next events', async () => {
  // the lookup's own deadline is longer than what the delivery has left (as when its document was slow)
  const w = world({ verifyHandles: true, stageTimeoutMs: 50 })
  w.handles.set('did:plc:slowdns', 'slow.example.com')
  w.named.set('slow.example.com', 'did:plc:slowdns')
  const dns = gate()
  w.gates.set('slow.example.com', dns)
  w.push(op('did:plc:slowdns'))
  await new Promise((r) => setTimeout(r, 200))
  // the gate is still closed: the event was not held for the handle
  assert.equal(w.out.length, 1)
  assert.equal(meta(w.out[0])?.handle, 'handle.invalid')
  assert.deepEqual(w.verdicts, ['timeout'])
  assert.equal(w.stage.waitingDids, 0)
  dns.release()
  await settle()
  w.push(op('did:plc:slowdns'))
  assert.equal(meta(w.out[1])?.handle, 'slow.example.com', 'answered from the cache, at once')
  assert.deepEqual(w.fetched.handle, ['slow.example.com'])
})

test('a cached handle resolution serves the next event; #identity naming the handle drops it', async () => {
  const w = world({ verifyHandles: true })
  w.handles.set('did:plc:mover', 'new.example.com')
  w.push(op('did:plc:mover'))
  await settle()
  assert.equal(meta(w.out[0])?.handle, 'handle.invalid', 'DNS not set up yet')
  // the user sets up DNS, then the PDS emits #identity with the handle
  w.named.set('new.example.com', 'did:plc:mover')
  w.push(op('did:plc:mover'))
  await settle()
  assert.equal(meta(w.out[1])?.handle, 'handle.invalid', 'still cached')
  w.push({
    kind: 'identity',
    did: 'did:plc:mover',
    seq: ++n,
    time: '2024-01-02T00:00:00.000Z',
    handle: 'new.example.com',
  })
  w.push(op('did:plc:mover'))
  await settle()
  assert.equal(meta(w.out.at(-1))?.handle, 'new.example.com')
  assert.deepEqual(w.fetched.handle, ['new.example.com', 'new.example.com'])
})
