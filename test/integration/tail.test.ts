// `atkafka tail` as a user runs it: the real CLI (bin/atkafka.js) in a child process, reading a
// topic relay mode filled from the 150 recorded frames, in both envelopes.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka'
import { formatEvent } from '../../src/tail/format.ts'
import { parseEventValue, type TailEvent } from '../../src/tail/read-event.ts'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { brokerEnv, createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const cli = join(repoRoot, 'bin/atkafka.js')
const LAST_SEQ = 31527015471
const TOTAL = 152

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `atkafka tail` against the test broker; `during` runs once the consumer is reading. */
function tail(topic: string, args: string[], during?: () => Promise<void>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, 'tail', '--bootstrap-servers', brokerEnv().bootstrap, '--output-topic', topic, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    let started = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString()
    })
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString()
      if (!started && during && stderr.includes('"msg":"tailing"')) {
        started = true
        during().catch(reject)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const lines = (out: string) => out.split('\n').filter((l) => l !== '')
const sorted = (xs: string[]) => [...xs].sort()

async function fillTopic(topic: string, extra: string[]): Promise<string[]> {
  await using relay = await startFakeRelay({ frames: readCorpusFrames() })
  await createTopic(topic, 4)
  await using run = await startApp('relay', [
    '--relay-host',
    relay.url,
    '--cursor',
    '0',
    '--output-topic',
    topic,
    ...extra,
  ])
  await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === LAST_SEQ, 'cursor at the last seq')
  await run.stop()
  const values = (await readTopic(topic, { count: TOTAL })).map((m) => m.value.toString())
  assert.equal(values.length, TOTAL)
  return values
}

describe('atkafka tail', () => {
  const standardTopic = uniqueTopic('tail')
  const ospreyTopic = uniqueTopic('tail-osprey')
  let standard: string[] = []
  let osprey: string[] = []
  let events: TailEvent[] = []

  before(async () => {
    standard = await fillTopic(standardTopic, [])
    osprey = await fillTopic(ospreyTopic, ['--osprey-compatible'])
    events = standard.map((v) => {
      const e = parseEventValue(v)
      assert.ok(e, v)
      return e
    })
  })

  const count = (keep: (e: TailEvent) => boolean) => events.filter(keep).length

  test('--from-beginning prints one readable line per message, then --limit ends it with exit 0', async () => {
    const run = await tail(standardTopic, ['--from-beginning', '--limit', String(TOTAL)])
    assert.equal(run.code, 0, run.stderr)
    const got = lines(run.stdout)
    assert.equal(got.length, TOTAL)
    assert.deepEqual(sorted(got), sorted(events.map(formatEvent)))
    assert.equal(
      got.filter((l) => / create +app\.bsky\.feed\.post\//.test(l)).length,
      count((e) => e.action === 'create' && e.collection === 'app.bsky.feed.post'),
    )
    assert.equal(got.filter((l) => / account +active=/.test(l)).length, 1)
    assert.equal(got.filter((l) => / identity handle=/.test(l)).length, 1)
    // logs go to stderr, never between the events
    assert.ok(!run.stdout.includes('"level"'))
    assert.ok(run.stderr.includes('"msg":"tailing"'))
  })

  test('--json prints every value exactly as produced, one per line', async () => {
    const run = await tail(standardTopic, ['--from-beginning', '--json', '--limit', String(TOTAL)])
    assert.equal(run.code, 0, run.stderr)
    const got = lines(run.stdout)
    assert.deepEqual(sorted(got), sorted(standard))
    for (const l of got) assert.equal(typeof JSON.parse(l), 'object')
  })

  test('--did keeps one account’s events, in the order they were produced', async () => {
    const perDid = new Map<string, number>()
    for (const e of events) perDid.set(e.did, (perDid.get(e.did) ?? 0) + 1)
    const [did, n] = [...perDid].sort((a, b) => b[1] - a[1])[0]!
    assert.ok(n > 1 && n < TOTAL)
    const run = await tail(standardTopic, ['--from-beginning', '--did', did, '--limit', String(n)])
    assert.equal(run.code, 0, run.stderr)
    const got = lines(run.stdout)
    assert.equal(got.length, n)
    for (const l of got) assert.equal(l.split(' ')[1], did)
    // one DID is one partition: Kafka's order, which is the firehose's
    assert.deepEqual(got, events.filter((e) => e.did === did).map(formatEvent))
  })

  test('--collection takes the same patterns as --matched-collections', async () => {
    const n = count((e) => e.collection?.startsWith('app.bsky.graph.') ?? false)
    assert.ok(n > 0 && n < TOTAL)
    const run = await tail(standardTopic, [
      '--from-beginning',
      '--collection',
      'app.bsky.graph.*',
      '--limit',
      String(n),
    ])
    assert.equal(run.code, 0, run.stderr)
    const got = lines(run.stdout)
    assert.equal(got.length, n)
    for (const l of got) assert.match(l, / (create|update|delete) +app\.bsky\.graph\.[a-z]+\//)
  })

  test('--action keeps only those kinds', async () => {
    const run = await tail(standardTopic, [
      '--from-beginning',
      '--action',
      'account,identity',
      '--json',
      '--limit',
      '2',
    ])
    assert.equal(run.code, 0, run.stderr)
    const got = lines(run.stdout).map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.deepEqual(
      got.map((e) => ('account' in e ? 'account' : 'identity' in e ? 'identity' : '?')).sort(),
      ['account', 'identity'],
    )
    const deletes = count((e) => e.action === 'delete')
    const del = await tail(standardTopic, [
      '--from-beginning',
      '--action',
      'delete',
      '--limit',
      String(deletes),
    ])
    assert.equal(lines(del.stdout).length, deletes)
    for (const l of lines(del.stdout)) assert.match(l, /^\S+ did:\S+ delete /)
  })

  test('the Osprey envelope: --json prints it as produced, the readable lines are the same as standard', async () => {
    const json = await tail(ospreyTopic, ['--from-beginning', '--json', '--limit', String(TOTAL)])
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(sorted(lines(json.stdout)), sorted(osprey))
    const creates = count((e) => e.action === 'create')
    const pretty = await tail(ospreyTopic, [
      '--from-beginning',
      '--action',
      'create',
      '--limit',
      String(creates),
    ])
    assert.equal(pretty.code, 0, pretty.stderr)
    assert.deepEqual(
      sorted(lines(pretty.stdout)),
      sorted(events.filter((e) => e.action === 'create').map(formatEvent)),
    )
  })

  test('without --from-beginning only messages produced from now on are printed', async () => {
    const producer = new Producer<string, string, string, string>({
      clientId: 'test-tail-producer',
      bootstrapBrokers: [brokerEnv().bootstrap],
      serializers: stringSerializers,
      acks: ProduceAcks.ALL,
    })
    const did = 'did:plc:tailfromnow'
    let sent = 0
    let stopSending = false
    try {
      // keep producing until tail has printed: the consumer's start position is only fixed once
      // it has joined, and the test must not depend on when that is
      const run = await tail(standardTopic, ['--json', '--limit', '3'], async () => {
        while (!stopSending && sent < 200) {
          sent++
          const value = JSON.stringify({
            did,
            timestamp: new Date().toISOString(),
            sync: { seq: sent, rev: 'r' },
          })
          await producer.send({ messages: [{ topic: standardTopic, key: did, value }] })
          await new Promise((r) => setTimeout(r, 100))
        }
      })
      stopSending = true
      assert.equal(run.code, 0, run.stderr)
      const got = lines(run.stdout).map((l) => JSON.parse(l) as { did: string; sync: { seq: number } })
      assert.equal(got.length, 3)
      for (const e of got) assert.equal(e.did, did, 'nothing from before tail started')
    } finally {
      stopSending = true
      await producer.close()
    }
  })

  test('a bad option exits 2 naming it', async () => {
    const run = await tail(standardTopic, ['--action', 'post'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--action \/ ATKAFKA_TAIL_ACTION/)
    assert.equal(run.stdout, '')
  })
})
