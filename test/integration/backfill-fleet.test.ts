// The fleet: `atkafka backfill plan` lists a PDS's repos, then `atkafka backfill work`
// processes in one group copy them while some are killed -9 mid-run, one is added and one
// stops cleanly: every record of every repo is in Kafka exactly once for read_committed (the
// Java consumer), every repo done once, and `atkafka backfill status` says so. The PDS is a
// stand-in serving CARs recorded from the real local PDS, slowly, so kills land mid-repo.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { readBackfillStatus } from '../../src/backfill/backfill-status.ts'
import type { KafkaConfig } from '../../src/kafka/kafka-client-options.ts'
import { atkafka } from '../helpers/backfill-seam-world.ts'
import { populate } from '../helpers/backfill-world.ts'
import { atkafkaChildren, readTopicJava } from '../helpers/delivery.ts'
import { type FakePds, recordCar, startFakePds } from '../helpers/fake-pds.ts'
import { brokerEnv, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient } from '../helpers/pds-client.ts'
import { waitFor } from '../helpers/run-app.ts'

const ACCOUNTS = 200

describe('backfill fleet', () => {
  let pds: LocalPds
  let fake: FakePds
  let records: Map<string, string>
  before(async () => {
    pds = await startLocalPds()
    const made = await populate(new PdsClient(pds.pdsUrl), ACCOUNTS, (i) => (i * 13) % 60)
    records = made.records
    fake = await startFakePds()
    for (const s of made.sessions) {
      fake.cars.set(s.did, await recordCar(pds.pdsUrl, s.did))
      // every answer trickles, so that a repo is in flight for a while
      fake.faults.set(
        s.did,
        Array.from({ length: 20 }, () => ({ kind: 'slow' as const, chunk: 2048, delayMs: 15 })),
      )
    }
  })
  after(async () => {
    await fake?.close()
    await pds?.stop()
  })

  test('kill -9 three times, one added, one stopped cleanly: every record once, every repo done once', async (t) => {
    const work = uniqueTopic('fleet-work')
    const out = uniqueTopic('fleet-out')
    const group = `fleet-${randomUUID()}`
    const kafka = ['--bootstrap-servers', brokerEnv().bootstrap]
    const planArgs = [
      'backfill',
      'plan',
      ...kafka,
      '--backfill-work-topic',
      work,
      '--backfill-pds-hosts',
      fake.url,
    ]
    const plan = await atkafka([...planArgs, '--backfill-partitions', '12'])
    assert.equal(plan.code, 0, plan.stderr.slice(-2000))
    assert.equal(JSON.parse(plan.stdout).planned, ACCOUNTS)
    const again = await atkafka(planArgs)
    assert.equal(JSON.parse(again.stdout).ran, false, 'the finished plan adds nothing')

    const children = atkafkaChildren(t, { command: ['backfill', 'work'] })
    const args = [
      ...kafka,
      '--backfill-work-topic',
      work,
      '--output-topic',
      out,
      '--topic-partitions',
      '6',
      '--backfill-group',
      group,
      '--backfill-host-rate',
      '0',
      '--backfill-session-timeout-ms',
      '8000',
      '--metrics-address',
      '127.0.0.1:0',
    ]
    const requests = () => [...fake.requests.values()].reduce((a, b) => a + b, 0)
    const running = [children.start(args), children.start(args), children.start(args)]
    const steps: string[] = []
    for (let kill = 0; kill < 3; kill++) {
      const at = requests() + 25
      await waitFor(() => requests() >= at, `${at} getRepo requests`, 120_000)
      const victim = running.splice(kill % running.length, 1)[0]!
      await children.kill9(victim)
      running.push(children.start(args))
      steps.push(`kill -9 at ${requests()} requests, replaced`)
    }
    let at = requests() + 25
    await waitFor(() => requests() >= at, `${at} getRepo requests`, 120_000)
    running.push(children.start(args))
    steps.push(`a fourth added at ${requests()} requests`)
    at = requests() + 25
    await waitFor(() => requests() >= at, `${at} getRepo requests`, 120_000)
    const stopped = running.shift()!
    assert.equal(await children.stop(stopped), 0, children.tail(stopped))
    steps.push(`one stopped cleanly (exit 0) at ${requests()} requests`)

    const config = {
      bootstrapServers: [brokerEnv().bootstrap],
      clientId: 'fleet-test',
      tls: false,
    } as unknown as KafkaConfig
    await waitFor(
      async () => {
        const s = await readBackfillStatus(config, work, group)
        return s.consumed >= s.items && s.items === ACCOUNTS
      },
      'every item consumed',
      240_000,
    )
    for (const c of running) assert.equal(await children.stop(c), 0, children.tail(c))

    const seen = new Map<string, number>()
    for (const v of await readTopicJava(out, 'read_committed')) {
      const e = JSON.parse(v) as { operation: { uri: string; cid: string } }
      assert.equal(records.get(e.operation.uri), e.operation.cid, e.operation.uri)
      seen.set(e.operation.uri, (seen.get(e.operation.uri) ?? 0) + 1)
    }
    const doubled = [...seen].filter(([, n]) => n !== 1)
    const missing = [...records.keys()].filter((u) => !seen.has(u))
    const done = (await readTopicJava(`${work}.done`, 'read_committed')).map(
      (v) => JSON.parse(v).did as string,
    )
    t.diagnostic(
      `${steps.join('; ')}; ${requests()} getRepo requests for ${ACCOUNTS} repos, ${records.size} records, ${seen.size} read back`,
    )
    assert.deepEqual(doubled, [], 'no record twice')
    assert.deepEqual(missing, [], 'no record missing')
    assert.equal(done.length, ACCOUNTS, 'each repo done once')
    assert.equal(new Set(done).size, ACCOUNTS)
    // every repo fetched; a kill that lands while its victim has a repo open makes that repo be
    // fetched again (counted in the diagnostic above), but whether a kill lands mid-repo or
    // between two commits is timing (a victim can also be a replacement still joining), so it is
    // reported, not asserted: that an open transaction never commits is proven deterministically
    // in backfill-worker.test.ts (a second owner fences the first)
    assert.ok(requests() >= ACCOUNTS, 'every repo fetched')

    const status = await atkafka([
      'backfill',
      'status',
      ...kafka,
      '--backfill-work-topic',
      work,
      '--backfill-group',
      group,
    ])
    assert.equal(status.code, 0, status.stderr.slice(-2000))
    const report = JSON.parse(status.stdout)
    assert.equal(report.items, ACCOUNTS)
    assert.equal(report.left, 0)
    assert.equal(report.done, ACCOUNTS)
    assert.equal(report.records, records.size)
    assert.deepEqual(report.failed, {})
  })
})
