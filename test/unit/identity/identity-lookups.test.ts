import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLookups } from '../../../src/identity/identity-lookups.ts'
import type { LookupStatus } from '../../../src/identity/identity-types.ts'
import { createTokenBucket } from '../../../src/identity/token-bucket.ts'

const tick = () => new Promise((r) => setImmediate(r))

function setup(opts: { timeoutMs?: number; size?: number; ttlMs?: number } = {}) {
  const calls: string[] = []
  const pending = new Map<
    string,
    { resolve: (v: { createdAt: string }) => void; reject: (e: unknown) => void }[]
  >()
  const requests: [LookupStatus, boolean][] = []
  const lookups = createLookups({
    kind: 'audit_log',
    cache: { size: opts.size ?? 100, ttlMs: opts.ttlMs ?? 60_000 },
    timeoutMs: opts.timeoutMs ?? 5_000,
    bucketFor: () => createTokenBucket(0),
    fetch: (did, signal) =>
      new Promise((resolve, reject) => {
        calls.push(did)
        const list = pending.get(did) ?? []
        list.push({ resolve, reject })
        pending.set(did, list)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      }),
    observer: { request: (_kind, status, cached) => requests.push([status, cached]) },
  })
  // fetch runs after the rate limit's (immediate) grant: a tick later
  const answer = async (did: string, createdAt: string) => {
    await tick()
    for (const p of pending.get(did) ?? []) p.resolve({ createdAt })
    pending.delete(did)
  }
  return { lookups, calls, answer, requests, pending }
}

test('concurrent gets of one DID make one request; afterwards the cache answers synchronously', async () => {
  const { lookups, calls, answer, requests } = setup()
  const a = lookups.get('did:plc:a')
  const b = lookups.get('did:plc:a')
  assert.ok(a instanceof Promise && b instanceof Promise)
  assert.equal(lookups.inFlight, 1)
  await answer('did:plc:a', '2024-01-01T00:00:00Z')
  assert.deepEqual(await a, { ok: true, value: { createdAt: '2024-01-01T00:00:00Z' } })
  assert.deepEqual(await b, await a)
  const c = lookups.get('did:plc:a')
  assert.ok(!(c instanceof Promise))
  assert.deepEqual(c, await a)
  assert.deepEqual(calls, ['did:plc:a'])
  assert.equal(lookups.size, 1)
  await new Promise((r) => setImmediate(r))
  // the request, the coalesced get and the cache hit are each reported
  assert.deepEqual(requests.sort(), [
    ['ok', false],
    ['ok', true],
    ['ok', true],
  ])
})

test('invalidate during a lookup: its waiters get the answer, the cache does not keep it, the next get asks again', async () => {
  const { lookups, calls, answer } = setup()
  const stale = lookups.get('did:plc:a')
  lookups.invalidate('did:plc:a')
  const fresh = lookups.get('did:plc:a')
  await tick()
  assert.equal(calls.length, 2)
  await answer('did:plc:a', 'both')
  assert.ok((await stale).ok)
  assert.ok((await fresh).ok)
  // only the fresh lookup filled the cache
  assert.equal(lookups.size, 1)
  lookups.invalidate('did:plc:a')
  assert.equal(lookups.size, 0)
  assert.ok(lookups.get('did:plc:a') instanceof Promise)
})

test('a lookup past its deadline settles as timeout (never rejects) and is not cached; failures are not cached', async () => {
  const { lookups, calls } = setup({ timeoutMs: 20 })
  const outcome = await lookups.get('did:plc:slow')
  assert.deepEqual(outcome, { ok: false, reason: 'timeout' })
  assert.equal(lookups.size, 0)
  assert.equal(lookups.inFlight, 0)
  assert.ok(lookups.get('did:plc:slow') instanceof Promise)
  await tick()
  assert.equal(calls.length, 2)
})

test('the cache is bounded: least recently used entries go first', async () => {
  const { lookups, answer } = setup({ size: 2 })
  for (const did of ['did:plc:1', 'did:plc:2', 'did:plc:3']) {
    const p = lookups.get(did)
    await answer(did, did)
    await p
  }
  assert.equal(lookups.size, 2)
  assert.ok(lookups.get('did:plc:1') instanceof Promise, 'evicted')
  assert.ok(!(lookups.get('did:plc:3') instanceof Promise), 'kept')
})

test('a lookup made while the client is still starting starts its deadline only once the client is ready', async () => {
  let ready!: () => void
  const starting = new Promise<void>((r) => {
    ready = r
  })
  let isReady = false
  void starting.then(() => {
    isReady = true
  })
  const calls: string[] = []
  const lookups = createLookups({
    kind: 'audit_log',
    cache: { size: 10, ttlMs: 60_000 },
    timeoutMs: 50,
    bucketFor: () => createTokenBucket(0),
    // the client answers at once, once it is up
    fetch: async (did) => {
      calls.push(did)
      return { createdAt: '2024-01-01T00:00:00Z' }
    },
    observer: { request: () => {} },
    clientReady: () => (isReady ? undefined : starting),
  })
  let settled = false
  const got = Promise.resolve(lookups.get('did:plc:a')).then((o) => {
    settled = true
    return o
  })
  // four deadlines pass while the client starts: the lookup is still waiting, not timed out
  await new Promise((r) => setTimeout(r, 200))
  assert.equal(settled, false)
  assert.deepEqual(calls, [])
  ready()
  assert.deepEqual(await got, { ok: true, value: { createdAt: '2024-01-01T00:00:00Z' } })
  assert.deepEqual(calls, ['did:plc:a'])
  // a ready client costs nothing more: the next lookup runs at once
  assert.ok((await lookups.get('did:plc:b')).ok)
})

test('a client that never gets ready holds a lookup at most its start-up bound plus one deadline', async () => {
  const lookups = createLookups({
    kind: 'audit_log',
    cache: { size: 10, ttlMs: 60_000 },
    timeoutMs: 20,
    bucketFor: () => createTokenBucket(0),
    fetch: (_did, signal) => new Promise((_, reject) => signal.addEventListener('abort', reject)),
    observer: { request: () => {} },
    clientReady: () => new Promise<void>(() => {}),
    clientStartupMs: 20,
  })
  assert.deepEqual(await lookups.get('did:plc:a'), { ok: false, reason: 'timeout' })
})
