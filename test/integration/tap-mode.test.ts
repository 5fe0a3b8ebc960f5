// Tap mode end to end through the real broker. Against the loopback fake Tap: every event
// reaches Kafka with the right key and value (standard and Osprey), acks come only for what
// Kafka holds, junk is counted and acked without a crash, a dropped connection loses nothing
// and its owed acks are sent after the reconnect, an event whose produce fails is never acked.
// Against the real Tap (indigo cmd/tap) reading a local PDS: every record reaches Kafka as the
// PDS holds it, backfill before live per DID, and a kill -9 mid-backfill loses nothing.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { OSPREY_EPOCH_MS } from '../../src/encode/snowflake.ts'
import { parseDatetimeMs, tidTimeMs } from '../../src/sources/tap/tap-timestamp.ts'
import { readExpectedV1 } from '../helpers/corpus.ts'
import { identityEvent, recordEvent, startFakeTap, type TapFrame } from '../helpers/fake-tap.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { startTap } from '../helpers/local-tap.ts'
import { type ApplyWrite, PdsClient, type Session } from '../helpers/pds-client.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const fast = ['--reconnect-min-ms', '20', '--reconnect-max-ms', '200']

// ---- the corpus as Tap events ---------------------------------------------------------------

interface V1 {
  did: string
  kind: 'commit' | 'identity' | 'account'
  commit?: {
    rev: string
    operation: 'create' | 'update' | 'delete'
    collection: string
    rkey: string
    record?: Record<string, unknown>
    cid?: string
  }
  identity?: { handle?: string }
  account?: { active: boolean; status?: string }
}

interface TapRecordBody {
  live: boolean
  did: string
  rev: string
  collection: string
  rkey: string
  action: 'create' | 'update' | 'delete'
  cid?: string
  record?: Record<string, unknown>
}
interface TapIdentityBody {
  did: string
  handle: string
  is_active?: boolean
  isActive?: boolean
  status: string
}
type TapEventObject =
  | { id: number; type: 'record'; record: TapRecordBody }
  | { id: number; type: 'identity'; identity: TapIdentityBody }
  | { id: number; type: 'user'; user: TapIdentityBody }

/** the 152 corpus events as Tap would send them: records (live and backfill), identity and user spellings */
function corpusTapEvents(firstId = 1): TapEventObject[] {
  return (readExpectedV1() as V1[]).map((e, i): TapEventObject => {
    const id = firstId + i
    if (e.commit) {
      const c = e.commit
      return recordEvent(id, {
        live: i % 3 !== 0,
        did: e.did,
        rev: c.rev,
        collection: c.collection,
        rkey: c.rkey,
        action: c.operation,
        cid: c.cid,
        record: c.record,
      }) as TapEventObject
    }
    if (e.kind === 'identity') {
      return identityEvent(id, {
        did: e.did,
        handle: e.identity?.handle ?? 'handle.invalid',
      }) as TapEventObject
    }
    return identityEvent(id, {
      did: e.did,
      handle: '',
      isActive: e.account?.active ?? true,
      status: e.account?.status ?? 'active',
      spelling: 'user',
    }) as TapEventObject
  })
}

// ---- what atkafka must write for each -------------------------------------------------------

interface StandardOut {
  did: string
  timestamp: string
  eventMetadata: null
  operation?: {
    action: string
    collection: string
    rkey: string
    uri: string
    cid: string
    path: string
    rev: string
    live: boolean
    record?: unknown
  }
  identity?: { handle: string; isActive: boolean; status: string }
}

/** the standard event for a Tap event, timestamp left out (checked by the rule, below) */
function expectedOut(e: TapEventObject): Omit<StandardOut, 'timestamp'> {
  if (e.type === 'record') {
    const r = e.record
    const path = `${r.collection}/${r.rkey}`
    return {
      did: r.did,
      eventMetadata: null,
      operation: {
        action: r.action,
        collection: r.collection,
        rkey: r.rkey,
        uri: `at://${r.did}/${path}`,
        cid: r.action === 'delete' ? '' : (r.cid ?? ''),
        path,
        rev: r.rev,
        live: r.live,
        // deletes carry record: null, as in the Go original
        record: r.action === 'delete' ? null : r.record,
      },
    }
  }
  const body = e.type === 'identity' ? e.identity : e.user
  return {
    did: body.did,
    eventMetadata: null,
    identity: {
      handle: body.handle,
      isActive: (body.is_active ?? body.isActive) as boolean,
      status: body.status,
    },
  }
}

/** the Tap timestamp rule, from the event and the window in which it was received */
function checkTimestamp(e: TapEventObject, timestamp: string, t0: number, t1: number) {
  const ms = Date.parse(timestamp)
  assert.ok(ms <= t1, `never in the future: ${timestamp}`)
  if (e.type === 'record') {
    const r = e.record
    const created =
      r.action !== 'delete' && typeof r.record?.createdAt === 'string'
        ? parseDatetimeMs(r.record.createdAt)
        : undefined
    if (created !== undefined && created <= t0)
      return assert.equal(timestamp, new Date(created).toISOString())
    const tid = tidTimeMs(r.rkey)
    if (tid !== undefined && tid <= t0) return assert.equal(timestamp, new Date(tid).toISOString())
  }
  assert.ok(ms >= t0 - 1 && ms <= t1, `receive time ${timestamp} within the run`)
}

const keyOf = (e: TapEventObject): string => JSON.stringify(expectedOut(e))
const outKey = (o: StandardOut): string => {
  const { timestamp: _, ...rest } = o
  return JSON.stringify(rest)
}

async function readAll(topic: string, count: number, timeoutMs = 15_000) {
  const messages = await readTopic(topic, { count, timeoutMs })
  return messages.map((m) => ({ key: m.key.toString(), value: m.value.toString() }))
}

// ---- against the fake Tap -------------------------------------------------------------------

describe('tap mode against a fake Tap', () => {
  test('standard output: every event in Kafka keyed by DID, exactly as Tap sent it; each acked once', async () => {
    const events = corpusTapEvents()
    await using tap = await startFakeTap({ adminPassword: 'tap-secret', events })
    const topic = uniqueTopic('tap-std')
    await createTopic(topic, 3)
    const t0 = Date.now()
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--tap-admin-password',
      'tap-secret',
      '--output-topic',
      topic,
      ...fast,
    ])
    await tap.waitForAcks(events.map((e) => e.id))
    const t1 = Date.now()
    await run.stop()
    assert.equal(tap.acks.length, events.length, 'each event acked exactly once')
    assert.ok(tap.connections.every((c) => c.accepted && c.authorization?.startsWith('Basic ')))

    const out = await readAll(topic, events.length)
    assert.equal(out.length, events.length)
    const byKey = new Map(events.map((e) => [keyOf(e), e]))
    const seen = new Set<string>()
    for (const { key, value } of out) {
      const o = JSON.parse(value) as StandardOut
      const k = outKey(o)
      const e = byKey.get(k)
      assert.ok(e, `an event Tap sent: ${value.slice(0, 200)}`)
      assert.equal(key, o.did, 'keyed by DID')
      assert.deepEqual(JSON.parse(JSON.stringify({ ...o, timestamp: undefined })), expectedOut(e))
      checkTimestamp(e, o.timestamp, t0, t1)
      seen.add(k)
    }
    assert.equal(seen.size, events.length, 'every event once')
    assert.equal(await run.metric('atkafka_acks_sent', { status: 'ok' }), events.length)
    assert.equal(await run.metric('atkafka_tap_event_buffer_size'), 0)
    assert.equal(await run.metric('atkafka_produced_events', { status: 'ok' }), events.length)
    const creates = events.filter((e) => e.type === 'record' && e.record.action === 'create').length
    assert.equal(
      await run.metric('atkafka_handled_events', {
        action_name: 'operation#create',
        collection: 'app.bsky.feed.like',
      }),
      events.filter(
        (e) =>
          e.type === 'record' && e.record.action === 'create' && e.record.collection === 'app.bsky.feed.like',
      ).length,
    )
    assert.ok(creates > 100)
  })

  test('--osprey-compatible: the Osprey envelope around the same events', async () => {
    const events = corpusTapEvents(1000)
    await using tap = await startFakeTap({ events })
    const topic = uniqueTopic('tap-osprey')
    await createTopic(topic, 2)
    const before = Date.now()
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      topic,
      '--osprey-compatible',
      '--osprey-worker-id',
      '5',
      ...fast,
    ])
    await tap.waitForAcks(events.map((e) => e.id))
    await run.stop()
    const out = await readAll(topic, events.length)
    assert.equal(out.length, events.length)
    const byKey = new Map(events.map((e) => [keyOf(e), e]))
    const ids = new Set<string>()
    for (const { key, value } of out) {
      const env = JSON.parse(value) as {
        send_time: string
        data: { action_id: number; action_name: string; data: StandardOut }
      }
      const e = byKey.get(outKey(env.data.data))
      assert.ok(e, value.slice(0, 200))
      assert.equal(key, env.data.data.did)
      const want = e.type === 'record' ? `operation#${e.record.action}` : 'identity'
      assert.equal(env.data.action_name, want)
      assert.equal(env.send_time, env.data.data.timestamp)
      const id = /"action_id":(\d+),/.exec(value)?.[1] ?? ''
      ids.add(id)
      const big = BigInt(id)
      assert.equal((big >> 12n) & 0x3ffn, 5n, 'worker id bits')
      assert.ok(Number(big >> 22n) + OSPREY_EPOCH_MS >= before - 1000)
    }
    assert.equal(ids.size, events.length, 'unique action ids')
  })

  test('malformed JSON, unknown types, wrong shapes, an oversized record: counted, acked when they have an id, no crash', async () => {
    const good = [
      recordEvent(1),
      identityEvent(2),
      recordEvent(3, { action: 'delete', rkey: '3mptbyplj5d2b' }),
    ]
    const big = recordEvent(9, {
      collection: 'app.bsky.feed.post',
      rkey: '3mptbyplj5d2c',
      record: {
        $type: 'app.bsky.feed.post',
        text: 'x'.repeat(1_500_000),
        createdAt: '2026-07-04T14:38:08.999Z',
      },
    })
    const junk: TapFrame[] = [
      '{"id":4,"type":"record","record":', // malformed JSON: no id, cannot be acked
      'null', // not an object: no id
      { type: 'record', record: {} }, // no id
      { id: 5, type: 'labels', labels: [] }, // unknown type
      { id: 6, type: 'record', record: { did: 'did:plc:x' } }, // wrong shape
      { id: 7, type: 'identity', identity: { did: 'not a did', is_active: true } }, // wrong shape
      recordEvent(8, { record: undefined }) as TapFrame, // a create Tap could not decode the record of
    ]
    delete (junk[6] as { record: { record?: unknown } }).record.record
    await using tap = await startFakeTap({
      events: [good[0]!, ...junk.slice(0, 4), good[1]!, ...junk.slice(4), big, good[2]!],
    })
    const topic = uniqueTopic('tap-junk')
    await createTopic(topic)
    await using run = await startApp('tap', ['--tap-host', tap.url, '--output-topic', topic, ...fast])
    await tap.waitForAcks([1, 2, 3, 5, 6, 7, 8, 9])
    await new Promise((r) => setTimeout(r, 300))
    await run.stop() // resolves: nothing crashed
    assert.deepEqual(
      [...tap.ackedIds].sort((a, b) => a - b),
      [1, 2, 3, 5, 6, 7, 8, 9],
    )
    assert.equal(tap.acks.length, 8, 'no ack repeated, none for frames without an id')
    const drops = (reason: string) => run.metric('atkafka_dropped_events_total', { reason })
    assert.equal(await drops('malformed_frame'), 1)
    assert.equal(await drops('invalid_event'), 4) // null, no id, two wrong shapes
    assert.equal(await drops('unknown_kind'), 1)
    assert.equal(await drops('invalid_record'), 1)
    assert.equal(await drops('oversized_message'), 1)
    const out = await readAll(topic, 3)
    assert.deepEqual(
      out.map((m) => outKey(JSON.parse(m.value) as StandardOut)).sort(),
      good.map((e) => keyOf(e as TapEventObject)).sort(),
    )
    // the oversized record went to the dead-letter topic, and was acked only after that
    const dlq = await readTopic(`${topic}.dlq`, { count: 1, timeoutMs: 8000 })
    assert.equal(dlq.length, 1)
    const dead = JSON.parse(dlq[0]!.value.toString()) as { reason: string; key: string; bytes: number }
    assert.equal(dead.reason, 'oversized_message')
    assert.equal(dead.key, 'did:plc:wq4aajammjtxdomz3e23667t')
    assert.ok(dead.bytes > 1_500_000)
  })

  test('connections dropped mid-stream: reconnects, the acks owed meanwhile are sent after it, nothing lost or repeated', async () => {
    const events = corpusTapEvents(5000)
    const batches = [events.slice(0, 50), events.slice(50, 100), events.slice(100)]
    // a safety net like Tap's: what a cut connection lost is resent after the retry timeout
    await using tap = await startFakeTap({ retryTimeoutMs: 10_000 })
    const topic = uniqueTopic('tap-drop')
    await createTopic(topic, 2)
    // Kafka acks come >= 150 ms after an event is read (linger), the reconnect ~300 ms after a
    // drop: every ack of a batch comes due while disconnected
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      topic,
      '--linger-ms',
      '150',
      '--reconnect-min-ms',
      '600',
      '--reconnect-max-ms',
      '600',
    ])
    let sentSoFar = 0
    for (const batch of batches.slice(0, 2)) {
      await waitFor(() => tap.open === 1, 'connected')
      tap.send(batch)
      sentSoFar += batch.length
      await waitFor(() => tap.sent >= sentSoFar, 'batch written')
      await new Promise((r) => setTimeout(r, 20)) // read by atkafka, not yet in Kafka
      tap.dropConnections()
    }
    await waitFor(() => tap.open === 1, 'connected')
    tap.send(batches[2]!)
    await tap.waitForAcks(events.map((e) => e.id))
    await run.stop()
    assert.equal(tap.connections.length, 3)
    assert.equal(await run.metric('atkafka_reconnects_total', { source: 'tap' }), 2)
    for (const i of [0, 1]) {
      const cut = tap.connections[i]!
      const next = tap.connections[i + 1]!
      const own = new Set(cut.sentIds)
      assert.deepEqual(
        cut.ackedIds.filter((id) => own.has(id)),
        [],
        `connection ${i}: cut before any of its events was acked`,
      )
      assert.deepEqual(
        next.ackedIds.slice(0, cut.sentIds.length).sort(),
        [...cut.sentIds].sort(),
        `connection ${i + 1} starts with the acks owed for connection ${i}`,
      )
    }
    assert.equal(
      await run.metric('atkafka_acks_sent', { status: 'error' }),
      100,
      'acks that waited for a connection',
    )
    assert.equal(await run.metric('atkafka_acks_sent', { status: 'ok' }), events.length)
    assert.equal(await run.metric('atkafka_tap_ack_event_buffer_size'), 0)
    assert.equal(tap.acks.length, events.length, 'no redelivery was needed')
    const out = await readAll(topic, events.length + 50, 5000)
    assert.equal(out.length, events.length, 'nothing repeated')
    assert.deepEqual(
      new Set(out.map((m) => outKey(JSON.parse(m.value) as StandardOut))),
      new Set(events.map(keyOf)),
    )
  })

  test('stress: a connection cut after every 40th frame (acks lost with it): nothing lost', async (t) => {
    const events = corpusTapEvents(2000)
    // Tap resends what a cut connection lost once its retry timeout passes
    await using tap = await startFakeTap({ events, dropAfterFrames: 40, retryTimeoutMs: 3000 })
    const topic = uniqueTopic('tap-drops')
    await createTopic(topic, 2)
    // the reconnect waits 200-400 ms: the acks of the last frames of a connection come due meanwhile
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      topic,
      '--reconnect-min-ms',
      '400',
      '--reconnect-max-ms',
      '400',
    ])
    await tap.waitForAcks(
      events.map((e) => e.id),
      30_000,
    )
    await run.stop()
    assert.ok(tap.connections.length >= 4, `${tap.connections.length} connections`)
    assert.equal(await run.metric('atkafka_reconnects_total', { source: 'tap' }), tap.connections.length - 1)
    assert.equal(await run.metric('atkafka_tap_ack_event_buffer_size'), 0)

    const out = await readAll(topic, events.length + 200, 8000)
    const keys = new Set(out.map((m) => outKey(JSON.parse(m.value) as StandardOut)))
    for (const e of events) assert.ok(keys.has(keyOf(e)), `event ${e.id} in Kafka`)
    assert.equal(keys.size, events.length)
    // acks written just before a cut are lost with the connection: Tap resends those events
    t.diagnostic(
      `${tap.connections.length} connections, ${out.length - events.length} duplicates from redelivery`,
    )
  })

  test('an event whose produce fails is never acked (its topic deleted under the running app)', async () => {
    const events = corpusTapEvents(3000).slice(0, 30)
    const [first, second] = [events.slice(0, 10), events.slice(10)]
    await using tap = await startFakeTap({ events: first })
    const topic = uniqueTopic('tap-fail')
    await createTopic(topic)
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      topic,
      '--produce-retries',
      '2',
      ...fast,
    ])
    await tap.waitForAcks(first.map((e) => e.id))
    // the broker now answers UNKNOWN_TOPIC_OR_PARTITION (no auto-creation): a real produce failure
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [brokerEnv().bootstrap] })
    await admin.deleteTopics({ topics: [topic] })
    await admin.close()
    tap.send(second)
    await assert.rejects(run.done, (err: Error) => err.name === 'SinkError')
    await new Promise((r) => setTimeout(r, 500))
    assert.deepEqual(
      [...tap.ackedIds].sort((a, b) => a - b),
      first.map((e) => e.id),
      'only the events Kafka took were acked',
    )
    assert.equal(tap.acks.length, first.length)
    assert.ok(tap.sent > first.length, 'the later events were delivered to atkafka')
    assert.equal(await run.metric('atkafka_acks_sent', { status: 'ok' }), first.length)
    assert.ok((await run.metric('atkafka_produced_events', { status: 'error' })) > 0)
  })

  test('--disable-acks: everything produced, nothing acked', async () => {
    const events = corpusTapEvents(4000).slice(0, 20)
    await using tap = await startFakeTap({ events })
    const topic = uniqueTopic('tap-noack')
    await createTopic(topic)
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      topic,
      '--disable-acks',
      ...fast,
    ])
    await waitFor(
      async () => (await run.metric('atkafka_produced_events', { status: 'ok' })) === 20,
      '20 produced',
    )
    await run.stop()
    assert.deepEqual(tap.acks, [])
    assert.equal((await readAll(topic, 20)).length, 20)
  })
})

// ---- against the real Tap -------------------------------------------------------------------

interface KafkaOut {
  partition: number
  offset: bigint
  key: string
  event: StandardOut
}

async function readEvents(topic: string, count: number, timeoutMs = 15_000): Promise<KafkaOut[]> {
  const messages = await readTopic(topic, { count, timeoutMs })
  return messages.map((m) => ({
    partition: m.partition,
    offset: BigInt(m.offset),
    key: m.key.toString(),
    event: JSON.parse(m.value.toString()) as StandardOut,
  }))
}

const pathOf = (o: StandardOut) => `${o.did}/${o.operation?.collection}/${o.operation?.rkey}`

/** the real CLI as a child process (SIGKILL is a real crash: no drain, no acks, no flush) */
async function spawnCli(args: string[]): Promise<{
  child: ChildProcess
  port: number
  metric(name: string, labels?: string): Promise<number>
  exited: Promise<void>
}> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin/atkafka.js'),
      'firehose',
      'tap',
      '--bootstrap-servers',
      brokerEnv().bootstrap,
      '--metrics-address',
      `127.0.0.1:${port}`,
      '--log-level',
      'warn',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const metric = async (name: string, labels = '') => {
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const line = body.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `))
    return line ? Number(line.split(' ').pop()) : 0
  }
  return { child, port, metric, exited }
}

describe('tap mode against the real Tap (indigo cmd/tap) reading a local PDS', () => {
  let pds: LocalPds
  let client: PdsClient

  before(async () => {
    pds = await startLocalPds()
    client = new PdsClient(pds.pdsUrl, { adminPassword: pds.adminPassword })
  })
  after(async () => {
    await pds?.stop()
  })

  test('every record reaches Kafka exactly as the PDS holds it; backfill before live per DID', async (t) => {
    const alice = await client.createAccount('tap-alice.test')
    const bob = await client.createAccount('tap-bob.test')
    const paths = new Map<string, { did: string; collection: string; rkey: string }>()
    const track = (s: Session, collection: string, rkey: string) =>
      paths.set(`${s.did}/${collection}/${rkey}`, { did: s.did, collection, rkey })
    const untrack = (s: Session, collection: string, rkey: string) =>
      paths.delete(`${s.did}/${collection}/${rkey}`)

    // history: what the backfill must carry (the final state of each repo)
    const avatar = await client.uploadBlob(
      alice,
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]),
      'image/png',
    )
    track(
      alice,
      'app.bsky.actor.profile',
      (await client.putRecord(alice, 'app.bsky.actor.profile', 'self', { displayName: 'Alice ✨', avatar }))
        .rkey,
    )
    const posts = []
    for (let i = 0; i < 12; i++) {
      const text = `post ${i} — héllo 🌍 #tap`
      const p = await client.createRecord(alice, 'app.bsky.feed.post', {
        text,
        langs: ['en'],
        createdAt: new Date(Date.now() - (12 - i) * 60_000).toISOString(),
        facets: [
          {
            index: { byteStart: text.indexOf('#'), byteEnd: Buffer.byteLength(text) },
            features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'tap' }],
          },
        ],
      })
      posts.push(p)
      track(alice, 'app.bsky.feed.post', p.rkey)
    }
    const edited = await client.putRecord(alice, 'app.bsky.feed.post', posts[0]!.rkey, {
      text: 'edited',
      createdAt: new Date().toISOString(),
    })
    await client.deleteRecord(alice, 'app.bsky.feed.post', posts[1]!.rkey)
    untrack(alice, 'app.bsky.feed.post', posts[1]!.rkey)
    // a record outside any lexicon, with bytes and a CID link in it
    const odd = await client.createRecord(
      alice,
      'com.example.atkafka.thing',
      {
        $type: 'com.example.atkafka.thing',
        bytes: { $bytes: 'AAEC/w' },
        link: { $link: edited.cid },
        n: -42,
        nested: { list: [true, null, 'x'] },
      },
      { validate: false },
    )
    track(alice, 'com.example.atkafka.thing', odd.rkey)
    const bobWrites: ApplyWrite[] = posts.slice(2, 8).map((p) => ({
      action: 'create',
      collection: 'app.bsky.feed.like',
      value: { subject: { uri: p.uri, cid: p.cid }, createdAt: new Date().toISOString() },
    }))
    bobWrites.push({
      action: 'create',
      collection: 'app.bsky.graph.follow',
      value: { subject: alice.did, createdAt: new Date().toISOString() },
    })
    for (const r of (await client.applyWrites(bob, bobWrites)).results) {
      if (r.rkey) track(bob, r.uri.split('/').at(-2)!, r.rkey)
    }
    const backfillCount = paths.size
    const backfilled = new Map<string, number>()
    for (const p of paths.values()) backfilled.set(p.did, (backfilled.get(p.did) ?? 0) + 1)

    await using tap = await startTap({
      relayUrl: pds.pdsUrl,
      plcUrl: pds.plcUrl,
      adminPassword: 'tap-pw',
      retryTimeout: '3s',
    })
    const topic = uniqueTopic('tap-real')
    await createTopic(topic, 4)
    await using run = await startApp('tap', [
      '--tap-host',
      tap.channelUrl.replace(/\/channel$/, ''),
      '--tap-admin-password',
      'tap-pw',
      '--output-topic',
      topic,
      ...fast,
    ])
    await tap.addRepos([alice.did, bob.did])
    // backfill: every record plus one identity event per repo
    await waitFor(
      async () => (await run.metric('atkafka_produced_events', { status: 'ok' })) >= backfillCount + 2,
      `the backfill of ${backfillCount} records`,
      60_000,
    )
    for (const who of [alice, bob]) {
      await waitFor(async () => (await tap.info(who.did)).state === 'active', `${who.handle} active in Tap`)
    }

    // live: creates, an update and a delete after the backfill
    const liveTexts = ['live one', 'live two', 'live three']
    const livePosts = []
    for (const text of liveTexts) {
      const p = await client.createRecord(alice, 'app.bsky.feed.post', {
        text,
        createdAt: new Date().toISOString(),
      })
      livePosts.push(p)
      track(alice, 'app.bsky.feed.post', p.rkey)
    }
    await client.putRecord(alice, 'app.bsky.feed.post', livePosts[0]!.rkey, {
      text: 'live one, edited',
      createdAt: new Date().toISOString(),
    })
    await client.deleteRecord(alice, 'app.bsky.feed.post', posts[2]!.rkey)
    untrack(alice, 'app.bsky.feed.post', posts[2]!.rkey)
    const bobLive = await client.createRecord(bob, 'app.bsky.feed.repost', {
      subject: { uri: livePosts[1]!.uri, cid: livePosts[1]!.cid },
      createdAt: new Date().toISOString(),
    })
    track(bob, 'app.bsky.feed.repost', bobLive.rkey)
    const liveOps = 3 + 1 + 1 + 1
    const total = backfillCount + 2 + liveOps
    await waitFor(
      async () => (await run.metric('atkafka_produced_events', { status: 'ok' })) >= total,
      'the live ops',
      30_000,
    )
    await waitFor(
      async () => (await tap.getJson<{ outbox_buffer: number }>('/stats/outbox-buffer')).outbox_buffer === 0,
      'tap outbox empty (all acked)',
    )
    await run.stop()

    const out = await readEvents(topic, total + 50, 5000)
    t.diagnostic(`real tap: ${backfillCount} records backfilled, ${liveOps} live ops, ${out.length} messages`)
    assert.equal(out.length, total, 'nothing lost, nothing repeated')
    for (const m of out) assert.equal(m.key, m.event.did)

    // every record the PDS holds now, exactly: the last create/update of each path
    const latest = new Map<string, StandardOut>()
    for (const m of [...out].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))) {
      if (m.event.operation) latest.set(pathOf(m.event), m.event)
    }
    for (const [path, p] of paths) {
      const got = latest.get(path)
      assert.ok(got?.operation, `${path} in Kafka`)
      assert.notEqual(got.operation.action, 'delete', path)
      const held = await client.getRecord(p.did, p.collection, p.rkey)
      assert.deepEqual(got.operation.record, held.value, `${path}: the record as the PDS holds it`)
      assert.equal(got.operation.cid, held.cid)
      assert.equal(got.operation.uri, held.uri)
      // the timestamp rule: these clients wrote createdAt in the past, so it is the event time
      const createdAt = (held.value as { createdAt?: unknown }).createdAt
      if (typeof createdAt === 'string') {
        assert.equal(got.timestamp, new Date(Date.parse(createdAt)).toISOString(), `${path} timestamp`)
      }
    }
    // the live delete arrived as a delete; the record deleted before the backfill never appears
    assert.equal(latest.get(`${alice.did}/app.bsky.feed.post/${posts[2]!.rkey}`)?.operation?.action, 'delete')
    assert.equal(latest.get(`${alice.did}/app.bsky.feed.post/${posts[1]!.rkey}`), undefined)

    // per DID (one partition each, in order): every backfill event before every live one
    for (const who of [alice, bob]) {
      const mine = out
        .filter((m) => m.key === who.did && m.event.operation)
        .sort((a, b) => Number(a.offset - b.offset))
      assert.equal(new Set(mine.map((m) => m.partition)).size, 1)
      const lives = mine.map((m) => m.event.operation!.live)
      const firstLive = lives.indexOf(true)
      assert.ok(firstLive > 0, `${who.handle} has backfill then live events`)
      assert.ok(
        lives.slice(firstLive).every((l) => l),
        `${who.handle}: no backfill after live (${lives.join(',')})`,
      )
      assert.equal(
        lives.filter((l) => !l).length,
        backfilled.get(who.did),
        `${who.handle}: one backfill event per record`,
      )
      const revs = mine.filter((m) => m.event.operation!.live).map((m) => m.event.operation!.rev)
      assert.deepEqual(revs, [...revs].sort(), 'live revs in commit order')
    }
    // identity events for both repos (*.test handles cannot be verified offline)
    const idents = out.filter((m) => m.event.identity)
    assert.deepEqual(idents.map((m) => m.key).sort(), [alice.did, bob.did].sort())
    for (const m of idents) {
      assert.equal(m.event.identity?.isActive, true)
      assert.equal(m.event.identity?.status, 'active')
      assert.ok(['handle.invalid', 'tap-alice.test', 'tap-bob.test'].includes(m.event.identity?.handle ?? ''))
    }
  })

  test('kill -9 mid-backfill, restart: 0 records lost (Tap redelivers what was not acked)', async (t) => {
    const accounts: Session[] = []
    const expected = new Set<string>()
    for (const name of ['tap-kill-a', 'tap-kill-b', 'tap-kill-c']) {
      const s = await client.createAccount(`${name}.test`)
      accounts.push(s)
      for (let batch = 0; batch < 6; batch++) {
        const writes: ApplyWrite[] = Array.from({ length: 50 }, (_, i) => ({
          action: 'create',
          collection: 'app.bsky.feed.post',
          value: { text: `${name} ${batch}/${i}`, createdAt: new Date().toISOString() },
        }))
        for (const r of (await client.applyWrites(s, writes)).results) {
          if (r.rkey) expected.add(`${s.did}/app.bsky.feed.post/${r.rkey}`)
        }
      }
    }
    assert.equal(expected.size, 900)
    await using tap = await startTap({ relayUrl: pds.pdsUrl, plcUrl: pds.plcUrl, retryTimeout: '2s' })
    const topic = uniqueTopic('tap-kill')
    await createTopic(topic, 4)
    const tapHost = tap.channelUrl.replace(/\/channel$/, '')
    // first run: slowed down (tiny batches, a small in-flight window) so the kill lands mid-backfill
    const first = await spawnCli([
      '--tap-host',
      tapHost,
      '--output-topic',
      topic,
      '--max-in-flight',
      '10',
      '--batch-size',
      '5',
      '--linger-ms',
      '40',
    ])
    let killedAt = 0
    try {
      await waitFor(
        async () => (await first.metric('atkafka_upstream_connected', 'source="tap"').catch(() => 0)) === 1,
        'first run connected',
      )
      await tap.addRepos(accounts.map((a) => a.did))
      await waitFor(
        async () => (await first.metric('atkafka_produced_events', 'status="ok"').catch(() => 0)) >= 150,
        'the first run to be part way through the backfill',
        60_000,
      )
      killedAt = await first.metric('atkafka_produced_events', 'status="ok"')
      first.child.kill('SIGKILL')
      await first.exited
    } finally {
      first.child.kill('SIGKILL')
    }
    const afterKill = await readEvents(topic, 10_000, 3000)
    const outboxAtKill = (await tap.getJson<{ outbox_buffer: number }>('/stats/outbox-buffer')).outbox_buffer
    t.diagnostic(
      `killed after ${killedAt} produced; ${afterKill.length} in Kafka; Tap outbox holds ${outboxAtKill} rows (unacked, and acked ones not purged yet)`,
    )
    assert.ok(killedAt < 900 + 3, 'the kill landed mid-backfill')

    const second = await spawnCli(['--tap-host', tapHost, '--output-topic', topic])
    try {
      await waitFor(
        async () => {
          const ob = await tap.getJson<{ outbox_buffer: number }>('/stats/outbox-buffer')
          const produced = await second.metric('atkafka_produced_events', 'status="ok"').catch(() => 0)
          return ob.outbox_buffer === 0 && produced > 0
        },
        'Tap outbox drained by the second run',
        90_000,
      )
      second.child.kill('SIGTERM')
      await second.exited
    } finally {
      second.child.kill('SIGKILL')
    }
    const out = await readEvents(topic, 100_000, 5000)
    const got = new Set(out.filter((m) => m.event.operation).map((m) => pathOf(m.event)))
    const lost = [...expected].filter((p) => !got.has(p))
    const ops = out.filter((m) => m.event.operation).length
    t.diagnostic(
      `after restart: ${ops} record messages for ${expected.size} records (${ops - got.size} duplicates), ${lost.length} lost`,
    )
    assert.deepEqual(lost, [], '0 records lost')
    assert.equal(got.size, expected.size)
  })
})
