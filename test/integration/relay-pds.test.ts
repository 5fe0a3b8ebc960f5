// A real local PDS as the relay-protocol upstream: every write a user makes must come out of
// Kafka exactly once, keyed by DID, in firehose order per DID, with the record as the PDS holds it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startFakeIdentity } from '../helpers/fake-identity.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { assertValid } from '../helpers/output-schemas.ts'
import { PdsClient, type Session } from '../helpers/pds-client.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'
import { checkLexicon, loadUpstreamSchemas } from '../helpers/upstream-schemas.ts'

interface Out {
  did: string
  timestamp: string
  seq: number
  eventMetadata?: unknown
  operation?: {
    action: string
    collection: string
    rkey: string
    uri: string
    cid: string
    rev: string
    record?: unknown
  }
  identity?: { seq: number; handle: string }
  account?: { seq: number; active: boolean; status?: string }
  sync?: { seq: number; rev: string }
}

describe('relay mode against a real PDS', () => {
  let pds: LocalPds
  before(async () => {
    pds = await startLocalPds()
  })
  after(async () => {
    await pds?.stop()
  })

  test('posts, likes, follows, reposts, updates, deletes, applyWrites, handle change, deactivate/activate', async () => {
    const client = new PdsClient(pds.pdsUrl)
    const suffix = Math.random().toString(36).slice(2, 7)
    const alice: Session = await client.createAccount(`alice${suffix}.test`)
    const bob: Session = await client.createAccount(`bob${suffix}.test`)

    const topic = uniqueTopic('pds')
    await createTopic(topic, 3)
    const base = pds.firehoseUrl.replace(/\/xrpc\/com\.atproto\.sync\.subscribeRepos$/, '')
    await using run = await startApp('relay', ['--relay-host', base, '--output-topic', topic])
    await waitFor(async () => (await run.http('/readyz')).status === 200, 'atkafka ready')

    // what we expect, per DID, in order: [kind, action?, collection?, rkey?]
    const expected = new Map<string, string[]>([
      [alice.did, []],
      [bob.did, []],
    ])
    const expectOp = (s: Session, action: string, collection: string, rkey: string) =>
      expected.get(s.did)?.push(`operation ${action} ${collection}/${rkey}`)
    const records = new Map<string, unknown>() // uri → record as the PDS holds it

    const post = await client.createRecord(alice, 'app.bsky.feed.post', {
      text: 'hello from the local PDS',
      createdAt: new Date().toISOString(),
    })
    expectOp(alice, 'create', 'app.bsky.feed.post', post.rkey)
    const like = await client.createRecord(bob, 'app.bsky.feed.like', {
      subject: { uri: post.uri, cid: post.cid },
      createdAt: new Date().toISOString(),
    })
    expectOp(bob, 'create', 'app.bsky.feed.like', like.rkey)
    const follow = await client.createRecord(bob, 'app.bsky.graph.follow', {
      subject: alice.did,
      createdAt: new Date().toISOString(),
    })
    expectOp(bob, 'create', 'app.bsky.graph.follow', follow.rkey)
    const repost = await client.createRecord(bob, 'app.bsky.feed.repost', {
      subject: { uri: post.uri, cid: post.cid },
      createdAt: new Date().toISOString(),
    })
    expectOp(bob, 'create', 'app.bsky.feed.repost', repost.rkey)
    const updated = await client.putRecord(alice, 'app.bsky.feed.post', post.rkey, {
      text: 'hello, edited',
      createdAt: new Date().toISOString(),
    })
    expectOp(alice, 'update', 'app.bsky.feed.post', post.rkey)
    await client.deleteRecord(bob, 'app.bsky.feed.like', like.rkey)
    expectOp(bob, 'delete', 'app.bsky.feed.like', like.rkey)
    const batch = await client.applyWrites(alice, [
      {
        action: 'create',
        collection: 'app.bsky.feed.post',
        value: { text: 'one', createdAt: new Date().toISOString() },
      },
      {
        action: 'create',
        collection: 'app.bsky.feed.post',
        value: { text: 'two', createdAt: new Date().toISOString() },
      },
      { action: 'delete', collection: 'app.bsky.feed.post', rkey: post.rkey },
    ])
    assert.ok(batch.commit.rev)
    const batchRkeys = batch.results.slice(0, 2).map((r) => r.rkey ?? '')
    expectOp(alice, 'create', 'app.bsky.feed.post', batchRkeys[0] ?? '')
    expectOp(alice, 'create', 'app.bsky.feed.post', batchRkeys[1] ?? '')
    expectOp(alice, 'delete', 'app.bsky.feed.post', post.rkey)
    const newHandle = `alice2${suffix}.test`
    await client.updateHandle(alice, newHandle)
    await client.deactivateAccount(bob)
    await client.activateAccount(bob)

    for (const rkey of batchRkeys) {
      const r = await client.getRecord(alice.did, 'app.bsky.feed.post', rkey)
      records.set(r.uri, r.value)
    }
    const r = await client.getRecord(bob.did, 'app.bsky.graph.follow', follow.rkey)
    records.set(r.uri, r.value)

    // every op we made, plus the identity/account events the PDS emits, must arrive; give the
    // stream a moment after the last write, then stop (drains to Kafka) and read everything
    const minimum = [...expected.values()].reduce((n, l) => n + l.length, 0) + 3
    await waitFor(
      async () => (await run.metric('atkafka_produced_events', { status: 'ok' })) >= minimum,
      'events produced',
    )
    await new Promise((res) => setTimeout(res, 1000))
    await run.stop()

    const messages = await readTopic(topic, { count: 1000, timeoutMs: 5000 })
    const events = messages.map((m) => ({ key: m.key.toString(), e: JSON.parse(m.value.toString()) as Out }))
    for (const { key, e } of events) assert.equal(key, e.did)
    // every message is what docs/schemas/event.schema.json describes
    assertValid(
      'event',
      events.map((x) => x.e),
    )
    // each DID's events are in seq order (one partition per DID)
    for (const did of [alice.did, bob.did]) {
      const seqs = events.filter((x) => x.e.did === did).map((x) => x.e.seq)
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `seq order for ${did}`,
      )
      assert.equal(new Set(seqs.map((s, i) => `${s}:${i}`)).size, seqs.length)
    }
    // exactly the ops we made, in order, per DID
    for (const [did, want] of expected) {
      const got = events
        .filter((x) => x.e.did === did && x.e.operation)
        .map((x) => `operation ${x.e.operation?.action} ${x.e.operation?.collection}/${x.e.operation?.rkey}`)
      assert.deepEqual(got, want, `ops of ${did}`)
    }
    // records are exactly what the PDS holds; deletes carry "record": null (as the Go original)
    for (const { e } of events) {
      assert.equal(e.eventMetadata, null, 'no enrichment: eventMetadata null, as the Go original')
      if (!e.operation) continue
      if (e.operation.action === 'delete') {
        assert.ok('record' in e.operation)
        assert.equal(e.operation.record, null)
        assert.equal(e.operation.cid, '')
      } else if (records.has(e.operation.uri)) {
        assert.deepEqual(e.operation.record, records.get(e.operation.uri), e.operation.uri)
      }
    }
    const updateEvent = events.find((x) => x.e.operation?.action === 'update')?.e.operation
    assert.equal(updateEvent?.cid, updated.cid)
    assert.equal((updateEvent?.record as { text?: string } | undefined)?.text, 'hello, edited')
    // handle change and account status changes
    const identities = events
      .filter((x) => x.e.did === alice.did && x.e.identity)
      .map((x) => x.e.identity?.handle)
    assert.ok(
      identities.includes(newHandle),
      `identity event with the new handle (got ${identities.join(',')})`,
    )
    const accounts = events.filter((x) => x.e.did === bob.did && x.e.account).map((x) => x.e.account)
    // the account creation's own #account (active) may come first: the PDS can emit it after
    // atkafka connected, since the accounts are made just before the run starts
    const statuses = accounts.map((a) => [a?.active, a?.status])
    while (statuses.length > 2 && statuses[0]?.[0] === true && statuses[0]?.[1] === undefined)
      statuses.shift()
    assert.deepEqual(statuses, [
      [false, 'deactivated'],
      [true, undefined],
    ])
    // nothing was dropped and nothing else was produced
    assert.equal(await run.metric('atkafka_produced_events', { status: 'ok' }), events.length)
    const drops =
      (await run.app.metrics.registry.getSingleMetric('atkafka_dropped_events_total')?.get())?.values ?? []
    assert.equal(
      drops.reduce((s, v) => s + v.value, 0),
      0,
    )
  })

  test('--event-metadata with the real PLC and a profile API, Osprey envelope: every message matches docs/schemas/enriched-osprey-envelope.schema.json', async (t) => {
    const api = await startFakeIdentity()
    t.after(() => api.close())
    const client = new PdsClient(pds.pdsUrl)
    const suffix = Math.random().toString(36).slice(2, 7)
    const carol: Session = await client.createAccount(`carol${suffix}.test`)
    const topic = uniqueTopic('pds-enriched')
    await createTopic(topic, 1)
    const base = pds.firehoseUrl.replace(/\/xrpc\/com\.atproto\.sync\.subscribeRepos$/, '')
    await using run = await startApp('relay', [
      '--relay-host',
      base,
      '--output-topic',
      topic,
      '--osprey-compatible',
      '--event-metadata',
      '--plc-host',
      pds.plcUrl,
      '--api-host',
      api.url,
    ])
    await waitFor(async () => (await run.http('/readyz')).status === 200, 'atkafka ready')
    const post = await client.createRecord(carol, 'app.bsky.feed.post', {
      text: 'enriched',
      createdAt: new Date().toISOString(),
    })
    await client.putRecord(carol, 'app.bsky.feed.post', post.rkey, {
      text: 'enriched, edited',
      createdAt: new Date().toISOString(),
    })
    await client.deleteRecord(carol, 'app.bsky.feed.post', post.rkey)
    await client.updateHandle(carol, `carol2${suffix}.test`)
    await client.deactivateAccount(carol)
    await client.activateAccount(carol)
    const produced = () => run.metric('atkafka_produced_events', { status: 'ok' })
    await waitFor(async () => (await produced()) >= 6, 'events produced')
    await new Promise((res) => setTimeout(res, 1000))
    await run.stop()

    const messages = await readTopic(topic, { count: await produced(), timeoutMs: 10_000 })
    const envelopes = messages.map(
      (m) =>
        JSON.parse(m.value.toString()) as {
          data: { action_name: string; data: { did: string; eventMetadata: { profile: unknown } | null } }
        },
    )
    const mine = envelopes.filter((e) => e.data.data.did === carol.did)
    const names = new Set(mine.map((e) => e.data.action_name))
    for (const name of ['operation#create', 'operation#update', 'operation#delete', 'identity', 'account'])
      assert.ok(names.has(name), `${name} among ${[...names].join(', ')}`)
    assertValid('enriched-osprey-envelope', envelopes)
    const { profileViewDetailed } = await loadUpstreamSchemas()
    for (const e of mine)
      checkLexicon(profileViewDetailed, e.data.data.eventMetadata?.profile, 'profile in Kafka')
    assert.equal(await run.metric('atkafka_enriched_events_total', { result: 'complete' }), envelopes.length)
  })
})
