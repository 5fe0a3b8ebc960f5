// Verified handles (atproto handle spec): eventMetadata.handle is the claimed handle only when
// it names the DID back, by DNS TXT `_atproto.<handle>` (a DNS server this test starts, which
// atkafka asks through --dns-servers) or by `/.well-known/atproto-did` (the real local PDS's,
// reached through --dev-handle-origins), else `handle.invalid`, as the Go original writes.
// Cases: valid by DNS, valid by HTTPS, a claim nobody confirms, a claim confirmed for another
// DID (an impostor claiming a real account's handle), a DNS server that never answers.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createHandleResolver } from '../../src/identity/handle-resolver.ts'
import { LookupError } from '../../src/identity/lookup-error.ts'
import { startFakeIdentity } from '../helpers/fake-identity.ts'
import { commitFrame } from '../helpers/frame-tools.ts'
import { readTopic } from '../helpers/kafka.ts'
import { type LocalDns, startLocalDns } from '../helpers/local-dns.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient, type Session } from '../helpers/pds-client.ts'
import { replayThroughAtkafka } from '../helpers/relay-run.ts'

const DNS_VALID = 'did:plc:dnsva1idaaaaaaaaaaaaaaaa'
const GHOST = 'did:plc:ghostaaaaaaaaaaaaaaaaaaa'
const IMPOSTOR = 'did:plc:impostoraaaaaaaaaaaaaaa'
const SLOW = 'did:plc:s1owdnsaaaaaaaaaaaaaaaa'

describe('handle verification against a local DNS server and the real PDS well-known', () => {
  let pds: LocalPds
  let dns: LocalDns
  let alice: Session
  let suffix: string
  before(async () => {
    ;[pds, dns] = await Promise.all([startLocalPds(), startLocalDns()])
    suffix = Math.random().toString(36).slice(2, 7)
    alice = await new PdsClient(pds.pdsUrl).createAccount(`hv${suffix}.test`)
  })
  after(async () => {
    await dns?.close()
    await pds?.stop()
  })

  test('the resolver: DNS first, then HTTPS; none named; another DID; no DNS answer within the deadline', async () => {
    const resolver = createHandleResolver({ dnsServers: [dns.address], devOrigins: { '.test': pds.pdsUrl } })
    const resolve = (handle: string, ms = 5_000) => resolver.resolve(handle, AbortSignal.timeout(ms))
    dns.txt.set(`_atproto.dns${suffix}.test`, [`did=${alice.did}`, 'something else'])
    dns.txt.set(`_atproto.two${suffix}.test`, [`did=${alice.did}`, 'did=did:plc:otherotherotherotherothe'])
    dns.txt.set(`_atproto.other${suffix}.test`, ['did=did:plc:otherotherotherotherothe'])
    dns.hang.add(`_atproto.slow${suffix}.test`)

    // the PDS serves alice's handle: no TXT record, so HTTPS says it
    assert.deepEqual(await resolve(alice.handle), { did: alice.did, via: 'https' })
    // the PDS does not know this name (404); its TXT record names alice
    assert.deepEqual(await resolve(`DNS${suffix}.test`), { did: alice.did, via: 'dns' })
    // two did= records: the spec says neither counts; the PDS has no such handle either
    assert.deepEqual(await resolve(`two${suffix}.test`), { did: null })
    assert.deepEqual(await resolve(`nobody${suffix}.test`), { did: null })
    assert.deepEqual(await resolve(`other${suffix}.test`), {
      did: 'did:plc:otherotherotherotherothe',
      via: 'dns',
    })
    await assert.rejects(resolve(`slow${suffix}.test`, 1_500), (err: unknown) => {
      assert.ok(err instanceof LookupError)
      assert.equal(err.reason, 'timeout')
      return true
    })
    // a reserved TLD is never asked about, nor a .test name without a dev origin
    const asked = dns.asked.length
    const plain = createHandleResolver({ dnsServers: [dns.address], devOrigins: {} })
    assert.deepEqual(await plain.resolve(alice.handle, AbortSignal.timeout(5_000)), { did: null })
    assert.deepEqual(await plain.resolve('x.invalid', AbortSignal.timeout(5_000)), { did: null })
    assert.equal(dns.asked.length, asked)
  })

  test('through Kafka: each claimed handle written as-is only when it names the DID back, else handle.invalid; counted by result', async (t) => {
    const claims: Record<string, string> = {
      [alice.did]: alice.handle, // valid by HTTPS (the PDS)
      [DNS_VALID]: `dnsvalid${suffix}.test`, // valid by DNS
      [GHOST]: `ghost${suffix}.test`, // nobody confirms it
      [IMPOSTOR]: alice.handle, // the PDS names alice for it
      [SLOW]: `slowdns${suffix}.test`, // the DNS server never answers
    }
    dns.txt.set(`_atproto.dnsvalid${suffix}.test`, [`did=${DNS_VALID}`])
    dns.hang.add(`_atproto.slowdns${suffix}.test`)
    const plc = await startFakeIdentity({ handleFor: (did) => claims[did] ?? 'unknown.invalid' })
    t.after(() => plc.close())
    const dids = Object.keys(claims)
    const frames = await Promise.all(
      dids.flatMap((did, i) =>
        [0, 1].map((k) =>
          commitFrame({
            seq: 1 + i * 2 + k,
            repo: did,
            ops: [
              {
                action: 'create',
                path: `app.bsky.feed.post/hv${i}${k}`,
                record: {
                  $type: 'app.bsky.feed.post',
                  text: `${i}/${k}`,
                  createdAt: '2026-07-04T14:38:07.517Z',
                },
              },
            ],
          }),
        ),
      ),
    )
    const { run, topic } = await replayThroughAtkafka({
      relay: { frames, startAtOldest: true },
      untilCursor: frames.length,
      args: [
        '--event-metadata',
        '--plc-host',
        plc.url,
        '--plc-rate-limit',
        '0',
        '--identity-timeout-ms',
        '2000',
        '--dns-servers',
        dns.address,
        '--dev-handle-origins',
        `.test=${pds.pdsUrl}`,
      ],
    })
    const events = (await readTopic(topic, { count: frames.length, timeoutMs: 10_000 })).map(
      (m) => JSON.parse(m.value.toString()) as { did: string; eventMetadata: { handle?: string } | null },
    )
    assert.equal(events.length, frames.length)
    const handlesOf = (did: string) => events.filter((e) => e.did === did).map((e) => e.eventMetadata?.handle)
    assert.deepEqual(handlesOf(alice.did), [alice.handle, alice.handle])
    assert.deepEqual(handlesOf(DNS_VALID), [claims[DNS_VALID], claims[DNS_VALID]])
    for (const did of [GHOST, IMPOSTOR, SLOW])
      assert.deepEqual(handlesOf(did), ['handle.invalid', 'handle.invalid'], did)
    const count = (result: string) => run.metric('atkafka_handle_verifications_total', { result })
    assert.equal(await count('valid'), 4)
    assert.equal(await count('not_confirmed'), 2)
    assert.equal(await count('other_did'), 2)
    assert.equal(await count('timeout'), 2)
    assert.equal(await count('error'), 0)
    // each handle that answered was resolved once (cached); the one that never answered, per event
    assert.equal(dns.asked.filter((n) => n === `_atproto.dnsvalid${suffix}.test`).length, 1)
  })
})
