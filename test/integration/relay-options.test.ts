// Relay mode options end to end through the real broker: collection filters, the Osprey
// envelope, the dead-letter topic, SASL and TLS, the HTTP endpoints, and the CLI's exit codes.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { OSPREY_EPOCH_MS } from '../../src/encode/snowflake.ts'
import { readCorpusFrames, readExpectedV1 } from '../helpers/corpus.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { brokerEnv, createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { replayThroughAtkafka } from '../helpers/relay-run.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const LAST = 31527015471

interface Out {
  did: string
  operation?: { collection: string; rkey: string }
  identity?: unknown
  account?: unknown
}

async function runCorpus(args: string[], expectedMessages: number, env: Record<string, string> = {}) {
  const { run, topic } = await replayThroughAtkafka({
    relay: { frames: readCorpusFrames() },
    untilCursor: LAST,
    args,
    env,
    partitions: 3,
    topicPrefix: 'opts',
  })
  const messages = await readTopic(topic, { count: expectedMessages, timeoutMs: 8000 })
  return { run, topic, messages }
}

const corpusCollections = () =>
  (readExpectedV1() as { kind: string; commit?: { collection: string } }[])
    .filter((e) => e.kind === 'commit')
    .map((e) => e.commit?.collection ?? '')

describe('relay mode options', () => {
  test('matched collections with a wildcard keep only those ops, and every account/identity event', async () => {
    const want = corpusCollections().filter(
      (c) => c === 'app.bsky.feed.like' || c.startsWith('app.bsky.graph.'),
    ).length
    const { run, messages } = await runCorpus(
      ['--matched-collections', 'app.bsky.feed.like,app.bsky.graph.*'],
      want + 2,
    )
    const events = messages.map((m) => JSON.parse(m.value.toString()) as Out)
    assert.equal(events.length, want + 2)
    for (const e of events.filter((x) => x.operation)) {
      assert.ok(
        /^app\.bsky\.(feed\.like|graph\..+)$/.test(e.operation?.collection ?? ''),
        e.operation?.collection,
      )
    }
    assert.equal(events.filter((e) => e.identity).length, 1)
    assert.equal(events.filter((e) => e.account).length, 1)
    assert.equal(await run.metric('atkafka_filtered_events_total', { kind: 'operation' }), 150 - want)
  })

  test('ignored collections via the Go original’s env spelling drop just those', async () => {
    const ignored = corpusCollections().filter((c) => c.startsWith('app.bsky.feed.')).length
    const { messages } = await runCorpus([], 152 - ignored, {
      ATKAFKA_IGNORED_COLLECTIONS: 'app.bsky.feed.*',
    })
    const events = messages.map((m) => JSON.parse(m.value.toString()) as Out)
    assert.equal(events.length, 152 - ignored)
    assert.ok(events.every((e) => !e.operation?.collection.startsWith('app.bsky.feed.')))
  })

  test('Osprey envelope: action names, unique Snowflake ids digit for digit, send_time = event time', async () => {
    const before = Date.now()
    const { messages } = await runCorpus(['--osprey-compatible', '--osprey-worker-id', '7'], 152)
    const raws = messages.map((m) => m.value.toString())
    const ids = raws.map((r) => /"action_id":(\d+),/.exec(r)?.[1] ?? '')
    assert.equal(new Set(ids).size, 152, 'ids are unique')
    for (const raw of raws) {
      const env = JSON.parse(raw) as {
        send_time: string
        data: {
          action_name: string
          data: { timestamp: string; did: string }
          secret_data: object
          encoding: string
        }
      }
      assert.match(env.data.action_name, /^(operation#(create|update|delete)|identity|account)$/)
      assert.equal(env.send_time, env.data.data.timestamp)
      assert.deepEqual(env.data.secret_data, {})
      assert.equal(env.data.encoding, 'UTF8', 'as the Go original')
      assert.equal(typeof env.data.data.did, 'string')
    }
    for (const id of ids) {
      const big = BigInt(id)
      assert.ok(big > 2n ** 53n, 'beyond JS number precision')
      assert.equal((big >> 12n) & 0x3ffn, 7n, 'worker id bits')
      const ms = Number(big >> 22n) + OSPREY_EPOCH_MS
      assert.ok(ms >= before - 1000 && ms <= Date.now() + 1000, 'time bits are the generation time')
    }
  })

  test('--osprey-action-id event: the same frames produced twice (a redelivery) carry the same ids; 152 distinct ids with the event time', async () => {
    const idsOf = (messages: { value: Buffer }[]) =>
      new Map(
        messages.map((m) => {
          const raw = m.value.toString()
          const env = JSON.parse(raw) as { data: { data: { seq: number; operation?: { path: string } } } }
          const d = env.data.data
          // the event's identity in the stream: its seq and, for an op, its path
          return [`${d.seq} ${d.operation?.path ?? ''}`, /"action_id":(\d+),/.exec(raw)?.[1] ?? ''] as const
        }),
      )
    const args = ['--osprey-compatible', '--osprey-action-id', 'event']
    const { messages } = await runCorpus(args, 152)
    const first = idsOf(messages)
    const second = idsOf((await runCorpus(args, 152)).messages)
    assert.equal(first.size, 152)
    assert.equal(new Set(first.values()).size, 152, 'distinct events, distinct ids')
    assert.deepEqual(second, first, 'a redelivered event keeps its id')
    for (const m of messages) {
      const raw = m.value.toString()
      const env = JSON.parse(raw) as { send_time: string }
      const id = BigInt(/"action_id":(\d+),/.exec(raw)?.[1] ?? '0')
      assert.equal(
        Number(id >> 22n) + OSPREY_EPOCH_MS,
        Date.parse(env.send_time),
        'time bits: the event time',
      )
    }
  })

  test('a record larger than --max-message-bytes goes to the dead-letter topic with the reason', async () => {
    const { run, topic, messages } = await runCorpus(['--max-message-bytes', '1024'], 10)
    const big = messages.filter((m) => m.value.length > 1024)
    assert.equal(big.length, 0)
    const dlq = await readTopic(`${topic}.dlq`, { count: 1000, timeoutMs: 4000 })
    const dropped = await run.metric('atkafka_dropped_events_total', { reason: 'oversized_message' })
    assert.ok(dlq.length > 0)
    assert.equal(dlq.length, dropped)
    assert.equal(await run.metric('atkafka_produced_events', { status: 'dead_letter' }), dlq.length)
    const first = JSON.parse(dlq[0]?.value.toString() ?? '{}') as {
      reason: string
      topic: string
      bytes: number
    }
    assert.equal(first.reason, 'oversized_message')
    assert.equal(first.topic, topic)
    assert.ok(first.bytes > 1024)
    const all = await readTopic(topic, { count: 1000, timeoutMs: 4000 })
    assert.equal(
      all.length + dlq.length,
      152,
      'nothing lost: every event is in the topic or the dead-letter topic',
    )
  })

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-512']) {
    test(`SASL ${mechanism} from config`, async () => {
      const b = brokerEnv()
      // flags after the harness's own --bootstrap-servers win (last one counts)
      const { messages } = await runCorpus(['--bootstrap-servers', b.saslBootstrap], 152, {
        ATKAFKA_SASL_MECHANISM: mechanism,
        ATKAFKA_SASL_USERNAME: b.saslUsername,
        ATKAFKA_SASL_PASSWORD: b.saslPassword,
      })
      assert.equal(messages.length, 152)
    })
  }

  test('TLS from config (CA file)', async () => {
    const b = brokerEnv()
    const { messages } = await runCorpus(['--bootstrap-servers', b.sslBootstrap], 152, {
      ATKAFKA_TLS: 'true',
      ATKAFKA_TLS_CA_FILE: process.env.KAFKA_SSL_CA ?? '',
    })
    assert.equal(messages.length, 152)
  })

  test('/healthz, /readyz and /metrics with the Go original’s series names', async () => {
    await using relay = await startFakeRelay({ frames: readCorpusFrames() })
    const topic = uniqueTopic('http')
    await createTopic(topic)
    await using run = await startApp('relay', [
      '--relay-host',
      relay.url,
      '--cursor',
      '0',
      '--output-topic',
      topic,
    ])
    assert.equal((await run.http('/healthz')).status, 200)
    await waitFor(async () => (await run.http('/readyz')).status === 200, 'ready')
    await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === LAST, 'cursor at the last seq')
    const { body } = await run.http('/metrics')
    for (const name of [
      'atkafka_handled_events{action_name="operation#create",collection="app.bsky.feed.like"}',
      'atkafka_produced_events{status="ok"} 152',
      'atkafka_dropped_events_total{reason="cid_mismatch"} 0',
      `atkafka_upstream_seq ${LAST}`,
      `atkafka_cursor_seq ${LAST}`,
      'atkafka_lag_seconds',
      'atkafka_reconnects_total',
      'kafka_produced_messages',
    ]) {
      assert.ok(body.includes(name), `metrics has ${name}`)
    }
    assert.equal((await run.http('/nope')).status, 404)
  })
})

describe('the atkafka command', () => {
  const cli = join(repoRoot, 'bin', 'atkafka.js')
  const runCli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    })

  test('bad configuration exits 2 before connecting, naming every problem', () => {
    const r = runCli(['firehose', 'relay', '--relay-host', 'https://bsky.network'], {
      ATKAFKA_MATCHED_COLLECTIONS: 'app.bsky.*',
      ATKAFKA_IGNORED_COLLECTIONS: 'fm.teal.*',
    })
    assert.equal(r.status, 2)
    assert.match(r.stderr, /invalid configuration \(3 problems\)/)
    assert.match(r.stderr, /--bootstrap-servers \/ ATKAFKA_BOOTSTRAP_SERVERS: required/)
    assert.match(r.stderr, /--relay-host \/ ATKAFKA_RELAY_HOST: expected a ws:\/\/ or wss:\/\/ URL/)
    assert.match(r.stderr, /--matched-collections .* and --ignored-collections .*: give one or the other/)
  })

  test('--help lists every option with its env name; unknown commands exit 2', () => {
    const r = runCli(['firehose', 'relay', '--help'])
    assert.equal(r.status, 0)
    assert.match(r.stdout, /--bootstrap-servers <value>/)
    assert.match(r.stdout, /env: ATKAFKA_MATCHED_COLLECTIONS, ATKAFKA_WATCHED_COLLECTIONS/)
    assert.equal(runCli(['nonsense']).status, 2)
    assert.match(runCli(['--version']).stdout, /^\d+\.\d+\.\d+/)
  })

  test('an unreachable broker ends the run with exit 1', () => {
    const r = runCli([
      'firehose',
      'relay',
      '--bootstrap-servers',
      '127.0.0.1:1',
      '--metrics-address',
      '127.0.0.1:0',
    ])
    assert.equal(r.status, 1)
    assert.match(r.stdout, /cannot reach the Kafka brokers/)
  })
})
