// The fake PLC and API host answer what the real ones do: checked against the real schemas
// (app.bsky lexicons as @atproto/pds ships them, @did-plc/lib's document and audit-log
// formats), closed-world, so an invented field such as `followingCount` cannot slip in again.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type DidDocument, defs } from '@atcute/identity'
import * as v from 'valibot'
import { type FakeIdentity, startFakeIdentity } from '../helpers/fake-identity.ts'
import { checkExact, checkLexicon, loadUpstreamSchemas } from '../helpers/upstream-schemas.ts'

const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
let fake: FakeIdentity
before(async () => {
  fake = await startFakeIdentity({ pdsFor: () => 'https://pds.example.org', handleFor: () => 'alice.test' })
})
after(() => fake.close())

const get = async (path: string) => {
  const res = await fetch(`${fake.url}${path}`)
  assert.equal(res.status, 200)
  return { type: res.headers.get('content-type'), body: (await res.json()) as unknown }
}

test('the profile lexicon refuses a key it does not declare (the invented followingCount)', async () => {
  const { profileViewDetailed } = await loadUpstreamSchemas()
  const view = { did, handle: 'alice.test', followersCount: 10, followsCount: 5 }
  checkLexicon(profileViewDetailed, view, 'a profile')
  assert.throws(
    () => checkLexicon(profileViewDetailed, { ...view, followingCount: 5 }, 'the old fixture'),
    /does not declare: the old fixture\.followingCount/,
  )
  assert.throws(
    () => checkLexicon(profileViewDetailed, { ...view, associated: { lists: 1, listz: 2 } }, 'p'),
    /p\.associated\.listz/,
  )
  assert.throws(() => checkLexicon(profileViewDetailed, { ...view, followsCount: 'five' }, 'p'), /not valid/)
})

test('the fake API host serves profiles its lexicon accepts, with followsCount', async () => {
  const { profileViewDetailed } = await loadUpstreamSchemas()
  const { body } = await get(`/xrpc/app.bsky.actor.getProfile?actor=${did}`)
  checkLexicon(profileViewDetailed, body, 'served profile')
  const view = body as Record<string, unknown>
  assert.equal(view.did, did)
  assert.equal(view.followsCount, 5)
  assert.equal('followingCount' in view, false)
})

test('the fake PLC serves documents and audit logs in the PLC formats', async () => {
  const { plc } = await loadUpstreamSchemas()
  const doc = await get(`/${did}`)
  assert.equal(doc.type, 'application/did+ld+json')
  checkExact(plc.didDocument, doc.body, 'served document')
  // and the DID document schema atkafka validates with accepts it
  const parsed = v.parse(defs.didDocument, doc.body) as DidDocument
  assert.equal(parsed.id, did)
  assert.deepEqual(parsed.alsoKnownAs, ['at://alice.test'])
  const audit = await get(`/${did}/log/audit`)
  assert.ok(Array.isArray(audit.body) && audit.body.length === 1)
  checkExact(plc.exportedOp, audit.body[0], 'served audit entry')
  assert.throws(
    () => checkExact(plc.didDocument, { ...(doc.body as object), extra: 1 }, 'd'),
    /does not declare/,
  )
})
