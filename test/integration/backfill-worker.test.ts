// Backfill workers against the real broker and a real PDS: the fencing the exactly-once claim
// rests on, then items from the work topic copied into Kafka, every record once
// (read_committed), failed items recorded with their reason and nothing else.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { WorkLane, type WorkMessage } from '../../src/backfill/work-lane.ts'
import {
  createTopics,
  makeConsumer,
  makeProducer,
  makeReader,
  planItems,
  populate,
  startWorker,
} from '../helpers/backfill-world.ts'
import { readTopicJava } from '../helpers/delivery.ts'
import { type Fault, recordCar, startFakePds } from '../helpers/fake-pds.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient } from '../helpers/pds-client.ts'
import { waitFor } from '../helpers/run-app.ts'

describe('backfill worker', () => {
  let pds: LocalPds
  before(async () => {
    pds = await startLocalPds()
  })
  after(async () => {
    await pds?.stop()
  })

  test('a second owner of a partition fences the first: its open transaction never commits', async () => {
    const t = await createTopics(1)
    await planItems(t.work, [{ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', pds: pds.pdsUrl }])
    const group = `bf-fence-${randomUUID()}`
    const consumer = makeConsumer(group)
    const stream = await consumer.consume({
      topics: [t.work],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    })
    let message: WorkMessage | undefined
    for await (const m of stream) {
      message = m
      break
    }
    assert.ok(message)
    const prefix = `bf-fence-${randomUUID()}`
    const reader = makeReader()
    const done = { topic: t.done, reader }
    const a = new WorkLane(t.work, 0, consumer, prefix, makeProducer, done)
    const b = new WorkLane(t.work, 0, consumer, prefix, makeProducer, done)
    const c = new WorkLane(t.work, 0, consumer, prefix, makeProducer, done)
    try {
      const txnA = await a.begin(message)
      assert.ok(txnA)
      await txnA.send({ messages: [{ topic: t.out, key: 'k', value: Buffer.from('from A') }] })
      // B takes the partition over while A's transaction is open
      const txnB = await b.begin(message)
      assert.ok(txnB, 'the item is not done yet: B must do it')
      await assert.rejects(a.commit(txnA, message), 'the fenced owner cannot commit')
      await txnB.send({ messages: [{ topic: t.out, key: 'k', value: Buffer.from('from B') }] })
      await b.commit(txnB, message)
      // a later owner finds the item done
      assert.equal(await c.begin(message), undefined)
      assert.deepEqual(await readTopicJava(t.out, 'read_committed'), ['from B'])
    } finally {
      await stream.close()
      for (const lane of [a, b, c]) await lane.close()
      await consumer.close(true)
      await reader.close(true)
    }
  })

  test('two workers in a group copy every repo once; a missing repo is recorded as failed, with no record', async () => {
    const client = new PdsClient(pds.pdsUrl)
    const { sessions, records } = await populate(client, 24, (i) => (i * 7) % 45)
    const t = await createTopics(6)
    const missing = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb'
    await planItems(t.work, [
      ...sessions.map((s) => ({ did: s.did, pds: pds.pdsUrl })),
      { did: missing, pds: pds.pdsUrl },
    ])
    const group = `bf-group-${randomUUID()}`
    const w1 = startWorker(t, group)
    const w2 = startWorker(t, group)
    try {
      // settled, not ended: after a rebalance one worker can skip an item the other committed, and
      // counting that skip would stop the workers before the last repo's transaction commits
      await waitFor(
        () => w1.stats.settled + w2.stats.settled >= sessions.length + 1,
        'every item done or failed',
        120_000,
      )
    } finally {
      await w1.stop()
      await w2.stop()
    }
    const out = await readTopicJava(t.out, 'read_committed')
    const seen = new Map<string, number>()
    for (const value of out) {
      const e = JSON.parse(value) as {
        did: string
        operation: { uri: string; cid: string; action: string; live: boolean }
      }
      assert.equal(e.operation.action, 'create')
      assert.equal(e.operation.live, false)
      assert.equal(records.get(e.operation.uri), e.operation.cid, e.operation.uri)
      assert.notEqual(e.did, missing)
      seen.set(e.operation.uri, (seen.get(e.operation.uri) ?? 0) + 1)
    }
    assert.equal(seen.size, records.size, 'every record')
    assert.deepEqual(
      [...seen.values()].filter((n) => n !== 1),
      [],
      'each once',
    )
    const done = (await readTopicJava(t.done, 'read_committed')).map(
      (v) => JSON.parse(v) as { did: string; rev: string },
    )
    assert.equal(new Set(done.map((d) => d.did)).size, sessions.length)
    for (const d of done) assert.match(d.rev, /^[2-7a-z]{13}$/)
    const failed = (await readTopicJava(t.failed, 'read_committed')).map(
      (v) => JSON.parse(v) as { did: string; reason: string },
    )
    assert.deepEqual(
      failed.map((f) => [f.did, f.reason]),
      [[missing, 'repo_not_found']],
    )
  })

  test('faults: retried where transient, recorded where final; a failed attempt leaves no record behind', async () => {
    const client = new PdsClient(pds.pdsUrl)
    const { sessions, records } = await populate(client, 10, (i) => 10 + i * 5)
    const fake = await startFakePds()
    const scenarios: [string, Fault[], string][] = [
      ['429 then ok', [{ kind: 'status', status: 429, error: 'RateLimitExceeded', retryAfter: '1' }], 'done'],
      [
        '500, 503 then ok',
        [
          { kind: 'status', status: 500 },
          { kind: 'status', status: 503 },
        ],
        'done',
      ],
      ['cut mid-CAR, then ok', [{ kind: 'truncate' }], 'done'],
      ['slow', [{ kind: 'slow', chunk: 512, delayMs: 20 }], 'done'],
      ['cut every time', Array.from({ length: 10 }, () => ({ kind: 'truncate' as const })), 'network'],
      [
        'half the blocks every time',
        Array.from({ length: 10 }, () => ({ kind: 'short' as const })),
        'truncated',
      ],
      ['altered block', [{ kind: 'alter' }], 'cid_mismatch'],
      ['taken down', [{ kind: 'status', status: 400, error: 'RepoTakendown' }], 'repo_takendown'],
      ['deactivated', [{ kind: 'status', status: 400, error: 'RepoDeactivated' }], 'repo_deactivated'],
      ['ok', [], 'done'],
    ]
    const expected = new Map<string, string>()
    for (const [i, s] of sessions.entries()) {
      const [, faults, outcome] = scenarios[i]!
      fake.cars.set(s.did, await recordCar(pds.pdsUrl, s.did))
      fake.faults.set(s.did, [...faults])
      expected.set(s.did, outcome)
    }
    const t = await createTopics(3)
    await planItems(
      t.work,
      sessions.map((s) => ({ did: s.did, pds: fake.url })),
    )
    const w = startWorker(t, `bf-faults-${randomUUID()}`, { maxAttempts: 4 }, 1)
    try {
      await waitFor(() => w.stats.ended >= sessions.length, 'every item ended', 120_000)
    } finally {
      await w.stop()
      await fake.close()
    }
    assert.equal(fake.maxInFlight, 1, 'one getRepo at a time on the host, as configured')
    const outcomes = new Map<string, string>()
    for (const v of await readTopicJava(t.done, 'read_committed')) outcomes.set(JSON.parse(v).did, 'done')
    for (const v of await readTopicJava(t.failed, 'read_committed')) {
      const f = JSON.parse(v) as { did: string; reason: string }
      outcomes.set(f.did, f.reason)
    }
    assert.deepEqual(outcomes, expected)
    assert.equal(fake.requests.get(sessions[4]!.did), 4, 'a transient failure is tried maxAttempts times')
    assert.equal(
      fake.requests.get(sessions[5]!.did),
      4,
      'a CAR missing blocks too (it may be a cut upstream)',
    )
    assert.equal(fake.requests.get(sessions[6]!.did), 1, 'a final failure is not retried')
    assert.ok((w.stats.retries.get('rate_limited') ?? 0) >= 1)
    const seen = new Map<string, number>()
    for (const v of await readTopicJava(t.out, 'read_committed')) {
      const e = JSON.parse(v) as { did: string; operation: { uri: string; cid: string } }
      assert.equal(expected.get(e.did), 'done', `a record of ${e.did}, whose item failed`)
      assert.equal(records.get(e.operation.uri), e.operation.cid)
      seen.set(e.operation.uri, (seen.get(e.operation.uri) ?? 0) + 1)
    }
    const wanted = [...records.keys()].filter((uri) => expected.get(uri.split('/')[2]!) === 'done')
    assert.equal(seen.size, wanted.length)
    assert.deepEqual(
      [...seen.values()].filter((n) => n !== 1),
      [],
      'each once, the cut attempt included',
    )
  })

  test('a repo listed twice (or by two plans) is copied once; listed again at a newer rev, copied again', async () => {
    const client = new PdsClient(pds.pdsUrl)
    const { sessions, records } = await populate(client, 6, (i) => 3 + i)
    const t = await createTopics(2)
    const items = sessions.map((s) => ({ did: s.did, pds: pds.pdsUrl }))
    await planItems(t.work, [...items, ...items])
    const group = `bf-dup-${randomUUID()}`
    const w = startWorker(t, group)
    try {
      await waitFor(() => w.stats.ended >= items.length * 2, 'every item ended', 120_000)
      assert.equal(w.stats.outcomes.get('skipped'), items.length)
      // a newer write, then the repo listed with that rev: the whole repo again
      const s0 = sessions[0]!
      const fresh = await client.createRecord(s0, 'app.bsky.feed.post', {
        text: 'later',
        createdAt: new Date().toISOString(),
      })
      await planItems(t.work, [{ did: s0.did, pds: pds.pdsUrl, rev: fresh.rev }])
      await waitFor(() => w.stats.ended >= items.length * 2 + 1, 'the relisted item ended', 60_000)
    } finally {
      await w.stop()
    }
    const uris = (await readTopicJava(t.out, 'read_committed')).map(
      (v) => JSON.parse(v).operation.uri as string,
    )
    const s0Records = [...records.keys()].filter((u) => u.startsWith(`at://${sessions[0]!.did}/`)).length
    assert.equal(
      uris.length,
      records.size + s0Records + 1,
      'every record once, then s0 again with its new post',
    )
    assert.equal(new Set(uris).size, records.size + 1)
  })
})
