// Identity lookups end to end: the real local PLC and two PDSes (on different host names), a
// fake API host for profiles, and a fake PLC for faults. What comes out of Kafka is checked:
// eventMetadata, which events the service filters let through, per-DID order, and the counters.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import WebSocket from 'ws'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { startFakeIdentity } from '../helpers/fake-identity.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { identityEvent, recordEvent, startFakeTap } from '../helpers/fake-tap.ts'
import { encodeFrame, frameSeq, resequence, splitFrame } from '../helpers/frame-tools.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalDns, startLocalDns } from '../helpers/local-dns.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient, type Session } from '../helpers/pds-client.ts'
import { replayThroughAtkafka } from '../helpers/relay-run.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'
import { checkLexicon, loadUpstreamSchemas } from '../helpers/upstream-schemas.ts'

interface Metadata {
  didDocument: { id: string; alsoKnownAs?: string[] }
  pdsHost?: string
  handle?: string
  didCreatedAt?: string
  accountAge: number
  profile: {
    did: string
    handle: string
    displayName?: string
    postsCount?: number
    followsCount?: number
  } | null
}
interface Out {
  did: string
  timestamp: string
  seq?: number
  /** null when the event carries none (as the Go original) */
  eventMetadata: Metadata | null
  operation?: { action: string; collection: string; rkey: string; uri: string }
  identity?: { handle: string }
  account?: { active: boolean }
}

const read = async (topic: string, count: number) =>
  (await readTopic(topic, { count, timeoutMs: 10_000 })).map((m) => JSON.parse(m.value.toString()) as Out)

const base = (firehoseUrl: string) => firehoseUrl.replace(/\/xrpc\/com\.atproto\.sync\.subscribeRepos$/, '')

/** the firehose of a PDS from its start, until the commit with `rev` of `did` arrived */
async function recordFirehose(firehoseUrl: string, did: string, rev: string): Promise<Uint8Array[]> {
  const ws = new WebSocket(`${firehoseUrl}?cursor=0`)
  const frames: Uint8Array[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no commit ${rev} of ${did} on ${firehoseUrl}`)),
        30_000,
      )
      ws.on('message', (data: Buffer) => {
        const frame = new Uint8Array(data)
        frames.push(frame)
        const { body } = splitFrame(frame)
        if (body.repo === did && body.rev === rev) {
          clearTimeout(timer)
          resolve()
        }
      })
      ws.on('error', reject)
    })
  } finally {
    ws.terminate()
  }
  return frames
}

function metadataOk(e: Out, pds: string, handle: string) {
  const m = e.eventMetadata
  assert.ok(m, `eventMetadata on ${JSON.stringify(e).slice(0, 200)}`)
  assert.equal(m.didDocument.id, e.did)
  assert.equal(m.pdsHost, pds)
  assert.equal(m.handle, handle)
  assert.match(m.didCreatedAt ?? '', /^\d{4}-\d\d-\d\dT/)
  assert.equal(m.accountAge, Math.floor((Date.parse(e.timestamp) - Date.parse(m.didCreatedAt!)) / 1000))
}

describe('identity against the real local PLC and two PDSes', () => {
  let pds: LocalPds
  let client1: PdsClient
  let client2: PdsClient
  let dns: LocalDns
  /** handles are verified (by default): at each PDS's well-known, and a DNS server without records */
  const verifyHandles = () => [
    '--dns-servers',
    dns.address,
    '--dev-handle-origins',
    `.test=${pds.pdsUrl},${pds.extra[0]!.handleDomain}=${pds.extra[0]!.pdsUrl}`,
  ]
  before(async () => {
    ;[pds, dns] = await Promise.all([startLocalPds({ extraPds: 1 }), startLocalDns()])
    client1 = new PdsClient(pds.pdsUrl)
    client2 = new PdsClient(pds.extra[0]!.pdsUrl)
  })
  after(async () => {
    await dns?.close()
    await pds?.stop()
  })

  test('live: eventMetadata from the PLC; a handle change and a profile write invalidate their caches; hit ratio', async (t) => {
    const api = await startFakeIdentity()
    t.after(() => api.close())
    const suffix = Math.random().toString(36).slice(2, 7)
    const alice: Session = await client1.createAccount(`alice${suffix}.test`)
    const topic = uniqueTopic('identity-live')
    await createTopic(topic, 1)
    await using run = await startApp('relay', [
      '--relay-host',
      base(pds.firehoseUrl),
      '--output-topic',
      topic,
      '--event-metadata',
      '--plc-host',
      pds.plcUrl,
      '--api-host',
      api.url,
      ...verifyHandles(),
    ])
    await waitFor(async () => (await run.http('/readyz')).status === 200, 'atkafka ready')
    const produced = () => run.metric('atkafka_produced_events', { status: 'ok' })
    const post = (text: string) =>
      client1.createRecord(alice, 'app.bsky.feed.post', { text, createdAt: new Date().toISOString() })

    const p1 = await post('one')
    const p2 = await post('two')
    // both in Kafka (so the old document is cached) before the handle changes
    await waitFor(async () => (await produced()) >= 2, 'two posts produced')
    const oldHandle = alice.handle
    const newHandle = `renamed${suffix}.test`
    await client1.updateHandle(alice, newHandle)
    const p3 = await post('three')
    const profile = await client1.putRecord(alice, 'app.bsky.actor.profile', 'self', { displayName: 'Alice' })
    const p4 = await post('four')
    await waitFor(async () => (await produced()) >= 6, 'six events produced')
    // six is not enough on its own: the account creation's #identity/#account events, which
    // atkafka may or may not see, count too, so wait for the last post itself to be in Kafka
    await waitFor(
      async () => (await read(topic, await produced())).some((e) => e.operation?.rkey === p4.rkey),
      'the last post in Kafka',
    )
    await run.stop()

    const events = await read(topic, await produced())
    const byRkey = (rkey: string) => events.find((e) => e.operation?.rkey === rkey)!
    for (const w of [p1, p2]) metadataOk(byRkey(w.rkey), pds.pdsUrl, oldHandle)
    // the account's creation sequenced an #identity too, which atkafka (subscribed at the live
    // head just after) may or may not see: each carries the document of its own moment
    const identity = events.find((e) => e.identity?.handle === newHandle)!
    metadataOk(identity, pds.pdsUrl, newHandle)
    for (const e of events.filter((x) => x.identity?.handle === oldHandle))
      metadataOk(e, pds.pdsUrl, oldHandle)
    for (const w of [p3, profile, p4]) metadataOk(byRkey(w.rkey), pds.pdsUrl, newHandle)
    // profiles: fetched once, then again after the profile write (the fake counts requests)
    assert.equal(byRkey(p1.rkey).eventMetadata?.profile?.displayName, `${alice.did} #1`)
    assert.equal(byRkey(p3.rkey).eventMetadata?.profile?.displayName, `${alice.did} #1`)
    assert.equal(byRkey(profile.rkey).eventMetadata?.profile?.displayName, `${alice.did} #2`)
    assert.equal(byRkey(p4.rkey).eventMetadata?.profile?.displayName, `${alice.did} #2`)
    // the appview's answer passed through whole, as the Go original does: followsCount (never an
    // invented followingCount), every other field of the view, valid for its lexicon
    const { profileViewDetailed } = await loadUpstreamSchemas()
    for (const e of events.filter((x) => x.eventMetadata)) {
      const p = e.eventMetadata?.profile
      assert.ok(p, 'a profile on every enriched event')
      checkLexicon(profileViewDetailed, p, `profile in Kafka of ${e.did}`)
      assert.equal(p.did, alice.did)
      assert.equal(p.followsCount, 5)
      assert.equal('followingCount' in p, false)
    }

    const m = (name: string, labels: Record<string, string>) => run.metric(name, labels)
    // one PLC request per document version, one audit log ever, two profiles
    assert.equal(await m('atkafka_plc_requests', { kind: 'did_doc', status: 'ok', cached: 'false' }), 2)
    assert.equal(await m('atkafka_plc_requests', { kind: 'audit_log', status: 'ok', cached: 'false' }), 1)
    assert.equal(await m('atkafka_api_requests', { kind: 'profile', status: 'ok', cached: 'false' }), 2)
    assert.equal(api.requests.profile.length, 2)
    const hits = await m('atkafka_plc_requests', { kind: 'did_doc', status: 'ok', cached: 'true' })
    const deliveries = events.length
    assert.equal(hits + 2, deliveries, 'every other lookup came from the cache')
    assert.equal(await m('atkafka_cache_size', { kind: 'did_doc' }), 1)
    assert.equal(await m('atkafka_enriched_events_total', { result: 'complete' }), events.length)
    t.diagnostic(`did_doc cache hit ratio ${(hits / deliveries).toFixed(2)} over ${deliveries} events`)
  })

  test('service filters choose between the two PDS hosts (relay replay of both firehoses)', async () => {
    const suffix = Math.random().toString(36).slice(2, 7)
    const pds2 = pds.extra[0]!
    const carol = await client1.createAccount(`carol${suffix}.test`)
    const dave = await client2.createAccount(`dave${suffix}${pds2.handleDomain}`)
    let carolLast = ''
    let daveLast = ''
    for (let i = 0; i < 3; i++) {
      carolLast = (
        await client1.createRecord(carol, 'app.bsky.feed.post', {
          text: `c${i}`,
          createdAt: new Date().toISOString(),
        })
      ).rev
      daveLast = (
        await client2.createRecord(dave, 'app.bsky.feed.post', {
          text: `d${i}`,
          createdAt: new Date().toISOString(),
        })
      ).rev
    }
    const keep = (frames: Uint8Array[], did: string) =>
      frames.filter((f) => splitFrame(f).body.repo === did || splitFrame(f).body.did === did)
    const one = keep(await recordFirehose(pds.firehoseUrl, carol.did, carolLast), carol.did)
    const two = keep(await recordFirehose(pds2.firehoseUrl, dave.did, daveLast), dave.did)
    // one stream interleaving both hosts' accounts, as a relay would carry them
    const merged: Uint8Array[] = []
    for (let i = 0; i < Math.max(one.length, two.length); i++) {
      if (one[i]) merged.push(one[i]!)
      if (two[i]) merged.push(two[i]!)
    }
    const frames = resequence(merged, merged.length)
    const last = frameSeq(frames.at(-1)!)!

    const cases = [
      { args: ['--matched-services', pds2.host], want: dave, wantPds: pds2.pdsUrl },
      { args: ['--ignored-services', pds2.host], want: carol, wantPds: pds.pdsUrl },
      { env: { ATKAFKA_WATCHED_SERVICES: 'localhost' }, want: carol, wantPds: pds.pdsUrl },
    ]
    for (const c of cases) {
      const { run, topic } = await replayThroughAtkafka({
        relay: { frames, startAtOldest: true },
        untilCursor: last,
        args: ['--event-metadata', '--plc-host', pds.plcUrl, ...(c.args ?? [])],
        env: c.env,
      })
      const produced = await run.metric('atkafka_produced_events', { status: 'ok' })
      const events = await read(topic, produced)
      assert.equal(events.length, produced)
      assert.ok(events.length >= 3, `${c.want.handle}'s events`)
      for (const e of events) {
        assert.equal(e.did, c.want.did, `only ${c.want.handle} (${JSON.stringify(c.args ?? c.env)})`)
        assert.equal(e.eventMetadata?.pdsHost, c.wantPds)
        assert.equal(e.eventMetadata?.didDocument.id, c.want.did)
      }
      assert.equal(
        (await run.metric('atkafka_filtered_events_total', { kind: 'operation' })) > 0,
        true,
        'the other host’s operations were filtered',
      )
      assert.equal(await run.metric('atkafka_service_filter_unresolved_total', { decision: 'pass' }), 0)
    }
  })

  test('tap mode: service filter and eventMetadata on Tap events of accounts on both hosts, every event acked', async (t) => {
    const suffix = Math.random().toString(36).slice(2, 7)
    const pds2 = pds.extra[0]!
    const erin = await client1.createAccount(`erin${suffix}.test`)
    const finn = await client2.createAccount(`finn${suffix}${pds2.handleDomain}`)
    const frames = [
      recordEvent(1, { did: erin.did, rkey: '3kaaaaaaaaa21' }),
      recordEvent(2, { did: finn.did, rkey: '3kaaaaaaaaa22' }),
      identityEvent(3, { did: finn.did, handle: finn.handle }),
      recordEvent(4, { did: erin.did, rkey: '3kaaaaaaaaa23' }),
      recordEvent(5, { did: finn.did, rkey: '3kaaaaaaaaa24' }),
    ]
    const tap = await startFakeTap({ events: frames })
    t.after(() => tap.close())
    const topic = uniqueTopic('identity-tap')
    await createTopic(topic, 1)
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      topic,
      '--event-metadata',
      '--plc-host',
      pds.plcUrl,
      '--matched-services',
      pds2.host,
      ...verifyHandles(),
    ])
    await tap.waitForAcks([1, 2, 3, 4, 5], 30_000)
    await run.stop()
    const events = await read(topic, 3)
    assert.deepEqual(
      events.map((e) => [e.did, e.operation?.rkey ?? 'identity']),
      [
        [finn.did, '3kaaaaaaaaa22'],
        [finn.did, 'identity'],
        [finn.did, '3kaaaaaaaaa24'],
      ],
    )
    for (const e of events) {
      assert.equal(e.eventMetadata?.pdsHost, pds2.pdsUrl)
      assert.equal(e.eventMetadata?.handle, finn.handle)
    }
    assert.equal(await run.metric('atkafka_filtered_events_total', { kind: 'operation' }), 2)
  })
})

describe('identity faults (a fake PLC): a slow or failing DID stalls nothing else, per-DID order kept', () => {
  const SLOW = 'did:plc:slowslowslowslowslowslow'
  const FAILING = 'did:plc:failfailfailfailfailfail'
  // the recorded frames, every 10th commit re-assigned to the slow DID and another to the
  // failing one (the repo field only: blocks and CIDs stay valid), with fresh seqs
  const frames = resequence(
    readCorpusFrames().map((f, i) => {
      const { header, body } = splitFrame(f)
      if (header.t !== '#commit') return f
      if (i % 10 === 3) return encodeFrame(header, { ...body, repo: SLOW })
      if (i % 10 === 7) return encodeFrame(header, { ...body, repo: FAILING })
      return f
    }),
    150,
  )
  const last = frameSeq(frames.at(-1)!)!
  // events per DID: one per op of a commit, one per other frame
  const perDid = new Map<string, number>()
  for (const f of frames) {
    const { body } = splitFrame(f)
    const did = String(body.repo ?? body.did)
    perDid.set(did, (perDid.get(did) ?? 0) + (Array.isArray(body.ops) ? body.ops.length : 1))
  }
  const total = [...perDid.values()].reduce((a, b) => a + b, 0)
  const slowCount = perDid.get(SLOW) ?? 0
  const failingCount = perDid.get(FAILING) ?? 0

  test('while one DID’s lookup hangs, every other DID’s events reach Kafka; then its own follow, in order', async (t) => {
    assert.ok(slowCount >= 10 && failingCount >= 10)
    const plc = await startFakeIdentity()
    t.after(() => plc.close())
    plc.hold.add(SLOW)
    plc.fail.add(FAILING)
    const relay = await startFakeRelay({ frames, startAtOldest: true })
    t.after(() => relay.close())
    const topic = uniqueTopic('identity-slow')
    await createTopic(topic, 4)
    await using run = await startApp('relay', [
      '--relay-host',
      relay.url,
      '--cursor',
      '0',
      '--output-topic',
      topic,
      '--event-metadata',
      '--plc-host',
      plc.url,
      // far longer than the test: the hang ends only when the test releases it
      '--identity-timeout-ms',
      '600000',
    ])
    // disposed before `run` (reverse order): if the test fails while the lookup is held, the hang
    // ends first, so the app's stop drains instead of waiting out the 600 s lookup and hiding the
    // failure behind the test's timeout (seen once in CI)
    using _release = { [Symbol.dispose]: () => plc.release(SLOW) }
    const produced = () => run.metric('atkafka_produced_events', { status: 'ok' })
    await waitFor(
      async () => (await produced()) >= total - slowCount,
      'every event but the slow DID’s produced',
      120_000,
    )
    // the slow DID's lookup is still hanging: none of its events is out, nothing else waited
    assert.ok(plc.held >= 1, 'the slow lookup is still held')
    assert.equal(await produced(), total - slowCount)
    assert.ok((await run.metric('atkafka_cursor_seq')) < last, 'the cursor waits for the slow DID')
    plc.release(SLOW)
    await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === last, 'cursor at the end')
    await run.stop()

    const events = await read(topic, total)
    assert.equal(events.length, total)
    // per DID, the order of the firehose (seqs rise; a 3-op commit shares its seq)
    for (const did of perDid.keys()) {
      const seqs = events.filter((e) => e.did === did).map((e) => e.seq!)
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        `firehose order for ${did}`,
      )
    }
    const slowEvents = events.filter((e) => e.did === SLOW)
    assert.equal(slowEvents.length, slowCount)
    assert.ok(
      slowEvents.every((e) => e.eventMetadata?.didDocument.id === SLOW && e.eventMetadata.accountAge > 0),
    )
    assert.ok(events.filter((e) => e.did === FAILING).every((e) => e.eventMetadata === null))
    assert.equal(await run.metric('atkafka_enriched_events_total', { result: 'none' }), failingCount)
    assert.equal(
      await run.metric('atkafka_enriched_events_total', { result: 'complete' }),
      total - failingCount,
    )
    assert.ok(
      (await run.metric('atkafka_plc_requests', { kind: 'did_doc', status: 'error', cached: 'false' })) >= 1,
    )
    // one request for the slow DID's document however many of its events waited
    assert.equal(plc.requests.doc.filter((d) => d === SLOW).length, 1)
  })

  // The deadline is long enough that only the held DID can miss it, on a loaded machine too: a
  // 300 ms one was missed by every lookup of the first burst while the identity worker was still
  // loading (1-2 s under load; fixed: deadlines now start once it is ready), and by lookups that
  // took longer than 300 ms on a loaded 2-core machine, which fail-closed then dropped.
  const DEADLINE_MS = '3000'

  test('a lookup past its deadline: the event goes on without metadata, counted; fail-closed drops it under a service filter', async (t) => {
    const plc = await startFakeIdentity()
    t.after(() => plc.close())
    plc.hold.add(SLOW)
    const { run, topic } = await replayThroughAtkafka({
      relay: { frames, startAtOldest: true },
      untilCursor: last,
      // no rate limit: only the held DID may miss its deadline
      args: [
        '--event-metadata',
        '--plc-host',
        plc.url,
        '--identity-timeout-ms',
        DEADLINE_MS,
        '--plc-rate-limit',
        '0',
      ],
    })
    const events = await read(topic, total)
    assert.equal(events.length, total)
    const slowEvents = events.filter((e) => e.did === SLOW)
    assert.equal(slowEvents.length, slowCount)
    assert.ok(slowEvents.every((e) => e.eventMetadata === null))
    assert.ok(
      (await run.metric('atkafka_plc_requests', { kind: 'did_doc', status: 'timeout', cached: 'false' })) >=
        1,
    )
    // the held DID's events all miss the deadline; the counter is checked against what Kafka holds
    const withoutMetadata = events.filter((e) => e.did && e.eventMetadata === null).length
    assert.ok(withoutMetadata >= slowCount)
    assert.equal(await run.metric('atkafka_enriched_events_total', { result: 'none' }), withoutMetadata)

    const closed = await replayThroughAtkafka({
      relay: { frames, startAtOldest: true },
      untilCursor: last,
      args: [
        '--plc-host',
        plc.url,
        '--identity-timeout-ms',
        DEADLINE_MS,
        '--plc-rate-limit',
        '0',
        '--ignored-services',
        'nothing.invalid',
        '--service-filter-on-error',
        'closed',
      ],
    })
    const kept = await read(closed.topic, total - slowCount)
    assert.equal(kept.length, total - slowCount)
    assert.ok(kept.every((e) => e.did !== SLOW && e.eventMetadata === null))
    assert.equal(
      await closed.run.metric('atkafka_service_filter_unresolved_total', { decision: 'drop' }),
      slowCount,
    )
  })
})
