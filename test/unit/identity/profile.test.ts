// eventMetadata.profile is the API host's getProfile answer (ProfileViewDetailed) passed through
// whole, as the Go original does: every field the appview sends (followsCount, labels,
// associated, verification, …), bounded in bytes as eventMetadata writes it.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { eventMetadataJson } from '../../../src/identity/event-metadata.ts'
import {
  createIdentityClient,
  MAX_PROFILE_JSON_BYTES,
  profileFromView,
} from '../../../src/identity/identity-client.ts'
import { LookupError } from '../../../src/identity/lookup-error.ts'

const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'

test('the whole view is kept, fields atkafka does not know included', () => {
  const view = {
    did,
    handle: 'alice.test',
    displayName: 'Alice',
    followersCount: 12,
    followsCount: 40,
    postsCount: 301,
    labels: [],
    associated: { lists: 1, feedgens: 0, starterPacks: 0, labeler: false },
    viewer: { muted: false, blockedBy: false },
    aFieldFromTheFuture: { nested: [1, 'two'] },
  }
  const profile = profileFromView(did, view)
  assert.deepEqual(JSON.parse(profile.json), view)
  // written into eventMetadata byte for byte
  const meta = JSON.parse(
    eventMetadataJson({ didDocument: { id: did } as never }, undefined, profile, '2026-01-01T00:00:00Z').json,
  )
  assert.deepEqual(meta.profile, view)
  assert.equal(meta.profile.followsCount, 40)
  assert.equal('followingCount' in meta.profile, false, 'no invented alias (docs/drop-in.md)')
})

test('an answer that is not a profile of this DID is refused', () => {
  assert.throws(() => profileFromView(did, null), /not an object/)
  assert.throws(() => profileFromView(did, [did]), /not an object/)
  assert.throws(() => profileFromView(did, { did: 'did:plc:other', handle: 'x.test' }), /did:plc:other/)
  assert.throws(() => profileFromView(did, { did }), /no handle/)
})

test('the JSON as written is bounded, however small the body was', () => {
  // 1e20 is 4 bytes in the body and 21 once re-serialized
  const padding = (n: number) => Array.from({ length: n }, () => 1e20)
  const base = JSON.stringify({ did, handle: 'a.test', x: [] }).length
  const fits = Math.floor((MAX_PROFILE_JSON_BYTES - base) / 22)
  assert.ok(
    Buffer.byteLength(profileFromView(did, { did, handle: 'a.test', x: padding(fits) }).json) <=
      MAX_PROFILE_JSON_BYTES,
  )
  assert.throws(() => profileFromView(did, { did, handle: 'a.test', x: padding(fits + 1) }), /exceeds/)
  // multi-byte text is measured in bytes
  const text = 'é'.repeat(MAX_PROFILE_JSON_BYTES / 2)
  assert.throws(() => profileFromView(did, { did, handle: 'a.test', description: text }), /exceeds/)
})

test('over HTTP: a body within the 64 KB cap whose JSON grows past the bound is a lookup error', async (t) => {
  const numbers = Array.from({ length: 12_000 }, () => '1e20').join(',')
  const body = `{"did":"${did}","handle":"a.test","x":[${numbers}]}`
  assert.ok(body.length < 64 * 1024)
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(body),
  )
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = createIdentityClient({ plcHost: url, apiHost: url })
  await assert.rejects(client.profile(did, AbortSignal.timeout(5000)), (err: unknown) => {
    assert.ok(err instanceof LookupError)
    assert.equal(err.reason, 'error')
    assert.match(err.message, /exceeds/)
    return true
  })
})
