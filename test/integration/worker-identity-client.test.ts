// The identity client on its worker thread, against the loopback fake PLC: answers and
// failure reasons cross the thread boundary, a deadline rejects at once and cancels the
// request in the worker, and a worker that is gone is started again by the next call.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { LookupError } from '../../src/identity/lookup-error.ts'
import { createWorkerIdentityClient } from '../../src/identity/worker-identity-client.ts'
import { type FakeIdentity, startFakeIdentity } from '../helpers/fake-identity.ts'

const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
let plc: FakeIdentity
before(async () => {
  plc = await startFakeIdentity({
    pdsFor: () => 'https://pds.example.org',
    createdAt: '2023-05-06T07:08:09.000Z',
  })
})
after(() => plc.close())

const deadline = () => AbortSignal.timeout(5_000)
const reasonIs = (reason: string) => (err: unknown) => {
  assert.ok(err instanceof LookupError, String(err))
  assert.equal(err.reason, reason)
  return true
}

test('documents, audit logs and profiles come back from the worker', async () => {
  const client = createWorkerIdentityClient({ plcHost: plc.url, apiHost: plc.url })
  try {
    const identity = await client.resolveDid(did, deadline())
    assert.equal(identity.pdsEndpoint, 'https://pds.example.org')
    assert.equal(identity.pdsHost, 'pds.example.org')
    assert.equal(identity.didDocument.id, did)
    assert.deepEqual(await client.didCreation(did, deadline()), { createdAt: '2023-05-06T07:08:09.000Z' })
    const profile = JSON.parse((await client.profile(did, deadline())).json)
    assert.equal(profile.did, did)
    assert.equal(profile.displayName, `${did} #1`)
  } finally {
    await client.close()
  }
})

test('a failing upstream gives its reason; a missing API host is an error', async () => {
  const client = createWorkerIdentityClient({ plcHost: plc.url, apiHost: '' })
  const failing = 'did:plc:failfailfailfailfailfail'
  plc.fail.add(failing)
  try {
    await assert.rejects(client.resolveDid(failing, deadline()), reasonIs('error'))
    await assert.rejects(client.profile(did, deadline()), reasonIs('error'))
    await assert.rejects(client.resolveDid('did:key:z6Mk', deadline()), reasonIs('error'))
  } finally {
    plc.fail.delete(failing)
    await client.close()
  }
})

test('a deadline rejects at once with timeout and cancels the request in the worker', async () => {
  const client = createWorkerIdentityClient({ plcHost: plc.url, apiHost: plc.url })
  const held = 'did:plc:heldheldheldheldheldheld'
  plc.hold.add(held)
  try {
    await assert.rejects(client.resolveDid(held, AbortSignal.timeout(200)), reasonIs('timeout'))
    // the worker aborted its request: nothing stays held at the fake PLC
    for (let i = 0; i < 100 && plc.held > 0; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(plc.held, 0)
    // and the client still answers
    assert.equal((await client.resolveDid(did, deadline())).didDocument.id, did)
  } finally {
    plc.hold.delete(held)
    await client.close()
  }
})

test('after close(), a call starts no new worker: it fails at once (a stopping app is not kept alive)', async () => {
  const client = createWorkerIdentityClient({ plcHost: plc.url, apiHost: plc.url })
  assert.equal((await client.resolveDid(did, deadline())).didDocument.id, did)
  await client.close()
  await assert.rejects(client.resolveDid(did, deadline()), /identity worker stopped/)
  await client.close()
})

test('the worker starts with the client and says when it is ready; after that whenReady() is undefined', async () => {
  const client = createWorkerIdentityClient({ plcHost: plc.url, apiHost: plc.url })
  try {
    const starting = client.whenReady()
    assert.ok(starting instanceof Promise, 'loading its modules')
    await starting
    assert.equal(client.whenReady(), undefined)
    assert.equal((await client.resolveDid(did, deadline())).didDocument.id, did)
  } finally {
    await client.close()
  }
})
