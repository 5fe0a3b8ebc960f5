// Issue #15 through the real broker: record headers read back by a consumer, --topic-routes
// (each routed topic holds exactly the events routed to it, created like the output topic,
// counted per topic, followed by `atkafka tail`), and --format jetstream compared with what
// production Jetstream served for the same 150 recorded frames.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { loadConfig } from '../../src/cli/commands.ts'
import type { AtprotoEvent } from '../../src/events/atproto-event.ts'
import { createTopicRouter } from '../../src/sink/topic-router.ts'
import { decodeFrame } from '../../src/sources/relay/decode-frame.ts'
import { type JetstreamEvent, readCorpusFrames } from '../helpers/corpus.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { identityEvent, recordEvent, startFakeTap } from '../helpers/fake-tap.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { corpusV1Lines, jetstreamMatchKey, normalizeJson } from '../helpers/jetstream.ts'
import { brokerEnv, headerValue, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const LAST_SEQ = 31527015471
const TOTAL = 152
const corpusEvents: AtprotoEvent[] = readCorpusFrames().flatMap((f) => decodeFrame(f, () => 'unused').events)

/** streams the 150 recorded frames through atkafka (in-process) with `args`; returns the app's status.json */
async function runCorpus(args: string[]): Promise<{ status: Record<string, unknown>; metrics: string }> {
  await using relay = await startFakeRelay({ frames: readCorpusFrames() })
  await using run = await startApp('relay', ['--relay-host', relay.url, '--cursor', '0', ...args])
  await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === LAST_SEQ, 'cursor at the last seq')
  const status = JSON.parse((await run.http('/status.json')).body) as Record<string, unknown>
  const metrics = (await run.http('/metrics')).body
  await run.stop()
  return { status, metrics }
}

/** one op or event as compared across topics */
function eventKey(e: AtprotoEvent): string {
  switch (e.kind) {
    case 'operation':
      return `${e.seq} ${e.did} ${e.collection}/${e.rkey} ${e.action}`
    case 'info':
      return `info ${e.name}`
    case 'moderation':
      return `moderation ${e.id}`
    default:
      return `${e.seq} ${e.did} ${e.kind}`
  }
}

/** the same key from a standard-format value */
function valueKey(value: Buffer): string {
  const v = JSON.parse(value.toString()) as {
    did: string
    seq?: number
    operation?: { collection: string; rkey: string; action: string }
    account?: unknown
    identity?: unknown
    sync?: unknown
    info?: { name: string }
  }
  if (v.operation)
    return `${v.seq} ${v.did} ${v.operation.collection}/${v.operation.rkey} ${v.operation.action}`
  if (v.info) return `info ${v.info.name}`
  const kind = ['account', 'identity', 'sync'].find((k) => k in v)
  return `${v.seq} ${v.did} ${kind}`
}

const sorted = (xs: Iterable<string>) => [...xs].sort()

describe('record headers', () => {
  test('every record carries kind, did, collection, action, rev, seq and format, read back by a consumer', async () => {
    const topic = uniqueTopic('headers')
    await runCorpus(['--output-topic', topic])
    const messages = await readTopic(topic, { count: TOTAL })
    assert.equal(messages.length, TOTAL)
    const byKey = new Map(corpusEvents.map((e) => [eventKey(e), e]))
    for (const m of messages) {
      const e = byKey.get(valueKey(m.value))
      assert.ok(e, valueKey(m.value))
      byKey.delete(valueKey(m.value))
      assert.ok(e.kind !== 'info' && e.kind !== 'moderation')
      const h = (name: string) => headerValue(m, name)
      assert.equal(h('kind'), e.kind)
      assert.equal(h('did'), e.did)
      assert.equal(m.key.toString(), e.did)
      assert.equal(h('seq'), String(e.seq))
      assert.equal(h('format'), 'standard/v1')
      if (e.kind === 'operation') {
        assert.equal(h('collection'), e.collection)
        assert.equal(h('action'), e.action)
        assert.equal(h('rev'), e.rev)
        assert.equal(h('op-index'), String(e.opIndex))
      } else {
        assert.equal(h('collection'), undefined)
        assert.equal(h('action'), undefined)
      }
      assert.equal(h('tap-id'), undefined)
    }
    assert.equal(byKey.size, 0)
  })

  test('--record-headers none: no headers at all; a list: only those', async () => {
    const none = uniqueTopic('no-headers')
    await runCorpus(['--output-topic', none, '--record-headers', 'none'])
    const messages = await readTopic(none, { count: TOTAL })
    assert.equal(messages.length, TOTAL)
    for (const m of messages) assert.equal(m.headers.size, 0)
    const some = uniqueTopic('some-headers')
    await runCorpus(['--output-topic', some, '--record-headers', 'collection,kind'])
    for (const m of await readTopic(some, { count: TOTAL })) {
      const names = [...m.headers.keys()].map(String)
      assert.deepEqual(names, headerValue(m, 'kind') === 'operation' ? ['kind', 'collection'] : ['kind'])
    }
  })
})

describe('topic routing', () => {
  test('each routed topic holds exactly the events routed to it, created like the output topic, counted per topic', async () => {
    const p = uniqueTopic('route')
    const spec = [
      `app.bsky.feed.like=${p}.likes`,
      `app.bsky.feed.post=${p}.posts`,
      `app.bsky.graph.*=${p}.graph`,
      `*=${p}.c.{collection}`,
      `#identity=${p}.identity`,
      `#account=${p}.account`,
      `#sync=${p}.sync`,
    ].join(',')
    const output = `${p}.out`
    const { status, metrics } = await runCorpus([
      '--output-topic',
      output,
      '--topic-routes',
      spec,
      '--topic-partitions',
      '3',
      '--topic-config',
      'retention.ms=86400000',
    ])
    // where the router sends each corpus event, from the same spec
    const config = loadConfig('relay', ['--topic-routes', spec], { ATKAFKA_BOOTSTRAP_SERVERS: 'x:1' })
    const route = createTopicRouter(config.topicRoutes, { defaultTopic: output })
    const want = new Map<string, string[]>()
    for (const e of corpusEvents) want.set(route(e), [...(want.get(route(e)) ?? []), eventKey(e)])
    assert.deepEqual(sorted(want.keys()), [
      `${p}.account`,
      `${p}.c.app.bsky.actor.status`,
      `${p}.c.app.bsky.feed.repost`,
      `${p}.c.fm.teal.alpha.actor.status`,
      `${p}.graph`,
      `${p}.identity`,
      `${p}.likes`,
      `${p}.posts`,
    ])
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [brokerEnv().bootstrap] })
    try {
      for (const [topic, keys] of want) {
        const got = await readTopic(topic, { count: keys.length + 1, timeoutMs: 10_000, idleMs: 2000 })
        assert.deepEqual(sorted(got.map((m) => valueKey(m.value))), sorted(keys), topic)
        for (const m of got) assert.equal(m.key.toString(), headerValue(m, 'did'))
        // per DID, seqs rise within each topic (one DID's events stay on one partition, in order)
        const lastSeq = new Map<string, number>()
        for (const m of got.sort((a, b) => Number(a.offset - b.offset))) {
          const did = m.key.toString()
          const seq = Number(headerValue(m, 'seq'))
          assert.ok(seq >= (lastSeq.get(did) ?? 0), `${topic}: ${did} out of order`)
          lastSeq.set(did, seq)
        }
        const meta = await admin.metadata({ topics: [topic] })
        assert.equal(meta.topics.get(topic)?.partitionsCount, 3, topic)
        const [described] = await admin.describeConfigs({
          resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms'] }],
        })
        assert.equal(described?.configs.find((c) => c.name === 'retention.ms')?.value, '86400000', topic)
        // the per-topic count on /metrics
        const line = metrics
          .split('\n')
          .find((l) => l.startsWith(`atkafka_topic_produced_events_total{topic="${topic}"}`))
        assert.equal(Number(line?.split(' ').pop()), keys.length, topic)
      }
      // a route that selects nothing in the corpus (no #sync) still has its topic, created at start
      const syncMeta = await admin.metadata({ topics: [`${p}.sync`] })
      assert.equal(syncMeta.topics.get(`${p}.sync`)?.partitionsCount, 3)
    } finally {
      await admin.close()
    }
    for (const empty of [output, `${p}.sync`]) {
      assert.equal((await readTopic(empty, { count: 1, timeoutMs: 3000, idleMs: 1500 })).length, 0, empty)
    }
    // the status page: produced per topic
    const broker = status.broker as { topics: Record<string, number> }
    for (const [topic, keys] of want) assert.equal(broker.topics[topic], keys.length, topic)
  })

  test('past --topic-routes-max-topics, a new collection goes to the output topic, counted', async () => {
    const p = uniqueTopic('route-max')
    const output = `${p}.out`
    const { metrics } = await runCorpus([
      '--output-topic',
      output,
      '--topic-routes',
      `*=${p}.c.{collection}`,
      '--topic-routes-max-topics',
      '2',
    ])
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [brokerEnv().bootstrap] })
    const made = (await admin.listTopics()).filter((t) => t.startsWith(`${p}.c.`))
    await admin.close()
    assert.equal(made.length, 2)
    const routed = new Map<string, number>()
    for (const t of made)
      routed.set(t, (await readTopic(t, { count: 1000, timeoutMs: 5000, idleMs: 1500 })).length)
    const toOutput = await readTopic(output, { count: TOTAL, timeoutMs: 10_000, idleMs: 2000 })
    // nothing lost, nothing twice: the two topics plus the output topic hold every event once
    assert.equal([...routed.values()].reduce((a, b) => a + b, 0) + toOutput.length, TOTAL)
    const ops = toOutput.filter((m) => headerValue(m, 'kind') === 'operation').length
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('atkafka_routed_to_output_total{reason="topic_limit"}'))
    assert.equal(Number(line?.split(' ').pop()), ops)
  })

  test('a spec Kafka would refuse: exit 2 before any connection, naming the option', async () => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin/atkafka.js'),
        'firehose',
        'relay',
        '--bootstrap-servers',
        brokerEnv().bootstrap,
        '--topic-routes',
        'app.bsky.feed.post=posts!,#nope=x',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    assert.equal(code, 2)
    assert.match(
      stderr,
      /--topic-routes \/ ATKAFKA_TOPIC_ROUTES: route app\.bsky\.feed\.post: invalid topic name "posts!"/,
    )
    assert.match(stderr, /route #nope: unknown event kind/)
  })

  test('atkafka tail follows every routed topic, each line naming its topic', async () => {
    const p = uniqueTopic('route-tail')
    const output = `${p}.out`
    const spec = `app.bsky.feed.like=${p}.likes,*=${p}.c.{collection},#identity=${p}.identity`
    await runCorpus(['--output-topic', output, '--topic-routes', spec])
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            join(repoRoot, 'bin/atkafka.js'),
            'tail',
            '--bootstrap-servers',
            brokerEnv().bootstrap,
            '--output-topic',
            output,
            '--topic-routes',
            spec,
            '--from-beginning',
            '--limit',
            String(TOTAL),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
        let stdout = ''
        let stderr = ''
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
        child.stdout.on('data', (b: Buffer) => {
          stdout += b.toString()
        })
        child.stderr.on('data', (b: Buffer) => {
          stderr += b.toString()
        })
        child.on('error', reject)
        child.on('close', (code) => {
          clearTimeout(timer)
          resolve({ code, stdout, stderr })
        })
      },
    )
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stdout.split('\n').filter(Boolean)
    assert.equal(lines.length, TOTAL)
    const perTopic = new Map<string, number>()
    for (const l of lines) {
      const topic = l.split(' ')[0]!
      perTopic.set(topic, (perTopic.get(topic) ?? 0) + 1)
    }
    const config = loadConfig('relay', ['--topic-routes', spec], { ATKAFKA_BOOTSTRAP_SERVERS: 'x:1' })
    const route = createTopicRouter(config.topicRoutes, { defaultTopic: output })
    const want = new Map<string, number>()
    for (const e of corpusEvents) want.set(route(e), (want.get(route(e)) ?? 0) + 1)
    assert.deepEqual(new Map([...perTopic].sort()), new Map([...want].sort()))
  })
})

describe('topic routing in Tap mode', () => {
  test('an event is acked only when its routed topic holds it: a topic deleted under the run stops the acks', async () => {
    const p = uniqueTopic('tap-route')
    const output = `${p}.out`
    const likes = `${p}.likes`
    const event = (id: number) =>
      id % 10 === 0
        ? identityEvent(id, { did: `did:plc:tap${id % 7}` })
        : recordEvent(id, {
            did: `did:plc:tap${id % 7}`,
            rkey: `k${id}`,
            collection: id % 2 ? 'app.bsky.feed.like' : 'app.bsky.feed.post',
            ...(id % 2
              ? {}
              : {
                  record: {
                    $type: 'app.bsky.feed.post',
                    text: `post ${id}`,
                    createdAt: '2026-07-04T14:38:08.999Z',
                  },
                }),
          })
    const first = Array.from({ length: 30 }, (_, i) => event(i + 1))
    const second = Array.from({ length: 30 }, (_, i) => event(i + 31))
    await using tap = await startFakeTap({ events: first })
    await using run = await startApp('tap', [
      '--tap-host',
      tap.url,
      '--output-topic',
      output,
      '--topic-routes',
      `app.bsky.feed.like=${likes},#identity=${p}.identity`,
      '--produce-retries',
      '2',
      '--reconnect-min-ms',
      '20',
    ])
    await tap.waitForAcks(first.map((e) => (e as { id: number }).id))
    const where = (id: number) => (id % 10 === 0 ? `${p}.identity` : id % 2 ? likes : output)
    // a record by its Tap id, from the header, checked against the rkey the test gave it
    const held = async (topic: string) => {
      const ids = new Set<string>()
      for (const m of await readTopic(topic, { count: 1000, timeoutMs: 10_000, idleMs: 1500 })) {
        const id = headerValue(m, 'tap-id')
        const rkey = /"rkey":"k(\d+)"/.exec(m.value.toString())?.[1]
        if (rkey !== undefined) assert.equal(id, rkey, 'tap-id header = the Tap event id')
        ids.add(`${headerValue(m, 'kind')} ${id}`)
      }
      return ids
    }
    // every first-batch record in its topic, with its headers
    const likesHeld = await held(likes)
    const outputHeld = await held(output)
    for (let id = 1; id <= 30; id++) {
      if (id % 10 === 0) continue
      assert.ok((id % 2 ? likesHeld : outputHeld).has(`operation ${id}`), `record ${id} in ${where(id)}`)
    }
    // the likes topic goes away: producing to it fails, so nothing with a like may be acked
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [brokerEnv().bootstrap] })
    await admin.deleteTopics({ topics: [likes] })
    await admin.close()
    tap.send(second)
    await assert.rejects(run.done, (err: Error) => err.name === 'SinkError')
    const acked = [...tap.ackedIds].filter((id) => id > 30)
    assert.ok(tap.sent > first.length, 'the second batch reached atkafka')
    for (const id of acked) assert.ok(id % 2 === 0, `like ${id} acked although its topic never held it`)
    // whatever was acked is held in its topic
    const outputNow = await held(output)
    for (const id of acked)
      if (id % 10 !== 0) assert.ok(outputNow.has(`operation ${id}`), `acked ${id} in ${output}`)
  })
})

describe('jetstream format through the broker', () => {
  test('the 152 events read back equal production Jetstream’s lines (key order and time_us aside)', async () => {
    const topic = uniqueTopic('jetstream')
    await runCorpus(['--output-topic', topic, '--format', 'jetstream'])
    const messages = await readTopic(topic, { count: TOTAL })
    assert.equal(messages.length, TOTAL)
    const want = new Map<string, string>()
    for (const line of corpusV1Lines()) want.set(jetstreamMatchKey(JSON.parse(line) as JetstreamEvent), line)
    const lastTime = new Map<number, number>()
    const t0 = Date.now() * 1000
    for (const m of messages.sort((a, b) => Number(a.offset - b.offset))) {
      const value = m.value.toString()
      const got = JSON.parse(value) as JetstreamEvent & { time_us: number }
      const k = jetstreamMatchKey(got)
      const line = want.get(k)
      assert.ok(line, `no Jetstream line for ${k}`)
      want.delete(k)
      assert.equal(normalizeJson(value, { time_us: 0 }), normalizeJson(line, { time_us: 0 }), k)
      assert.equal(m.key.toString(), got.did)
      assert.equal(headerValue(m, 'format'), 'jetstream/v1')
      // time_us: atkafka's clock in µs, rising within each partition
      assert.ok(Number.isSafeInteger(got.time_us) && got.time_us <= t0 && got.time_us > t0 - 120e6)
      assert.ok(got.time_us > (lastTime.get(m.partition) ?? 0))
      lastTime.set(m.partition, got.time_us)
    }
    assert.equal(want.size, 0)
  })
})
