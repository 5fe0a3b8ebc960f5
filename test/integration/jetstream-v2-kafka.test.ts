// `atkafka firehose jetstream` end to end: the local Jetstream v2 (the recorded archive and live
// stream) through the real CLI into the real broker, read back by the Java client.
// - archive + live folded in seq order equals the recorded truth (80/80 accounts, 4,761
//   records), each seq once, archive events `live: false`, live ones `live: true`;
// - --exactly-once, kill -9 during the archive download and during live, several times:
//   each seq exactly once for read_committed, and the fold still equals the truth.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { test } from 'node:test'
import { atkafkaChildren, type Children, readTopicJava, savedCursor } from '../helpers/delivery.ts'
import { type FoldEvent, foldAgainstTruth } from '../helpers/jetstream-v2-fixtures.ts'
import { type StandIn, startJetstreamStandIn } from '../helpers/jetstream-v2-server.ts'
import { brokerEnv, createTopic, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const LAST_SEQ = 6691
/** the Go client's full replay: every seq the recording has (the archive lost 1607 and 1608 to compaction) */
const SEQS = 6689

function childArgs(server: StandIn, topic: string, extra: string[] = []): string[] {
  return [
    '--jetstream-host',
    server.url,
    '--bootstrap-servers',
    brokerEnv().bootstrap,
    '--output-topic',
    topic,
    '--cursor-topic',
    `${topic}.cursors`,
    '--source-id',
    `test:${topic}`,
    '--metrics-address',
    '127.0.0.1:0',
    '--jetstream-download-concurrency',
    '1',
    '--jetstream-chunk-bytes',
    '16384',
    ...extra,
  ]
}

interface Standard {
  did: string
  seq?: number
  operation?: { action: string; collection: string; rkey: string; cid: string; live?: boolean }
  account?: { active: boolean; status?: string; live?: boolean }
  identity?: { live?: boolean }
  sync?: { live?: boolean }
}

/** the saved position as read_committed readers see it (ask only once the run planned: its cursor topic exists then) */
const committedCursor = (topic: string) => savedCursor(topic, 'READ_COMMITTED')

/** the run asked for its first plan: it has created its topics and read its cursor */
const planned = (server: StandIn, before: number) => () =>
  server.requests.filter((r) => r.includes('.planSnapshot') || r.startsWith('WS ')).length > before

/** waits, and on a timeout tells the run's last logs */
async function waitOrTell(
  children: Children,
  child: ChildProcess,
  check: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
) {
  try {
    await waitFor(check, what, ms)
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; exit ${child.exitCode}; the run's last logs:\n${children.tail(child)}`,
    )
  }
}

function check(values: readonly string[]) {
  const events = values.map((v) => JSON.parse(v) as Standard)
  const seqs = events.flatMap((e) => (e.seq === undefined ? [] : [e.seq]))
  const counts = new Map<number, number>()
  for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1)
  const repeated = [...counts].filter(([, n]) => n > 1).map(([s]) => s)
  const fold: FoldEvent[] = events.flatMap((e): FoldEvent[] => {
    if (e.seq === undefined) return []
    if (e.operation) {
      const { action, collection, rkey, cid } = e.operation
      return [{ seq: e.seq, kind: 'operation', did: e.did, action, collection, rkey, cid }]
    }
    if (e.account) return [{ ...e.account, seq: e.seq, kind: 'account', did: e.did }]
    if (e.sync) return [{ seq: e.seq, kind: 'sync', did: e.did }]
    return [{ seq: e.seq, kind: 'identity', did: e.did }]
  })
  const live = (e: Standard) => e.operation?.live ?? e.account?.live ?? e.identity?.live ?? e.sync?.live
  const misflagged = events.filter((e) => e.seq !== undefined && live(e) !== e.seq > 2890).length
  return { distinct: counts.size, repeated, fold: foldAgainstTruth(fold), misflagged }
}

test('archive then live into Kafka: the truth (80/80 accounts, 4,761 records), each seq once, archive flagged', async (t) => {
  const children = atkafkaChildren(t, { command: ['firehose', 'jetstream'] })
  await using server = await startJetstreamStandIn()
  const topic = uniqueTopic('jetstream')
  await createTopic(topic, 4)
  const child = children.start(
    childArgs(server, topic, ['--exactly-once', '--transaction-interval-ms', '200']),
  )
  await waitFor(
    async () => (await savedCursor(topic, 'READ_COMMITTED')) === LAST_SEQ,
    'cursor at the last seq',
    120_000,
  )
  assert.equal(await children.stop(child), 0, children.tail(child))
  const result = check(await readTopicJava(topic, 'read_committed'))
  assert.deepEqual(result.repeated, [])
  assert.equal(result.distinct, SEQS)
  assert.deepEqual(result.fold.mismatched, [])
  assert.equal(result.fold.accounts, 80)
  assert.equal(result.fold.records, 4761)
  assert.equal(result.misflagged, 0)
  // the cut-over: one live connection, at the pinned tip
  assert.deepEqual(
    server.requests.filter((r) => r.startsWith('WS ')),
    ['WS /xrpc/network.bsky.jetstream.subscribeEvents?cursor=2890&zstdDictionary=20260811'],
  )
})

test('--exactly-once, kill -9 during the archive download and during live, several times: each seq exactly once', async (t) => {
  const children = atkafkaChildren(t, { command: ['firehose', 'jetstream'] })
  // slow enough that each run is killed mid-stream: segments served after a pause, live frames paced
  await using server = await startJetstreamStandIn({
    downloadDelayMs: 400,
    framesPerTurn: 25,
    turnDelayMs: 40,
  })
  const topic = uniqueTopic('jetstream-kill')
  await createTopic(topic, 4)
  const args = childArgs(server, topic, ['--exactly-once', '--transaction-interval-ms', '200'])
  const cursor = () => committedCursor(topic)
  const kills: string[] = []
  // three kills while the archive downloads, each once the run has committed some of it
  for (let k = 0; k < 3; k++) {
    const child = children.start(args)
    if (k === 0) await waitOrTell(children, child, planned(server, 0), 'the first plan', 60_000)
    const from = await cursor()
    await waitOrTell(
      children,
      child,
      async () => (await cursor()) > from,
      `run ${k} committed past ${from}`,
      60_000,
    )
    assert.equal(child.exitCode, null, children.tail(child))
    await children.kill9(child)
    kills.push(`archive@${await cursor()}`)
  }
  // three kills during live: once the stream moved a few hundred frames past what was saved
  for (let k = 0; k < 3; k++) {
    const child = children.start(args)
    const from = Math.max(await cursor(), 2890)
    await waitOrTell(
      children,
      child,
      async () => (await cursor()) > from + 300,
      `run ${3 + k} live past ${from + 300}`,
      120_000,
    )
    assert.equal(child.exitCode, null, children.tail(child))
    await children.kill9(child)
    kills.push(`live@${await cursor()}`)
  }
  const last = children.start(args)
  await waitOrTell(
    children,
    last,
    async () => (await cursor()) === LAST_SEQ,
    'cursor at the last seq',
    180_000,
  )
  assert.equal(await children.stop(last), 0, children.tail(last))
  const result = check(await readTopicJava(topic, 'read_committed'))
  process.stderr.write(
    `jetstream kill -9 test: kills ${kills.join(' ')}; ${result.distinct} seqs, repeated ${result.repeated.length}\n`,
  )
  // the archive kills landed inside the archive (2,890 is its tip), after progress
  const archiveKills = kills.filter((k) => k.startsWith('archive')).map((k) => Number(k.split('@')[1]))
  assert.ok(
    archiveKills.some((c) => c > 0 && c < 2890),
    kills.join(' '),
  )
  assert.deepEqual(result.repeated, [])
  assert.equal(result.distinct, SEQS)
  assert.deepEqual(result.fold.mismatched, [])
  assert.equal(result.fold.records, 4761)
})
