// `firehose tap --exactly-once` against the real Tap (indigo cmd/tap) backfilling a local PDS:
// atkafka is SIGKILLed mid-stream three times and restarted; then the Apache Kafka Java
// consumer (read_committed) must read every record exactly once: 0 duplicated, 0 missing.
// Tap resends whatever was not acked (after TAP_RETRY_TIMEOUT, 2 s here), under the same id,
// so without the ids kept in Kafka each kill would leave duplicates (0–578 a run were measured
// before). The kept ids are bounded low here (1,000) so that events are refused at the bound
// too (Tap sends them again).
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { atkafkaChildren, childMetric, readTopicJava } from '../helpers/delivery.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { startTap } from '../helpers/local-tap.ts'
import { type ApplyWrite, PdsClient, type Session } from '../helpers/pds-client.ts'
import { waitFor } from '../helpers/run-app.ts'

const ACCOUNTS = 6
const BATCHES = 8
const PER_BATCH = 50
const KILLS = 3

describe('tap --exactly-once against the real Tap', () => {
  let pds: LocalPds
  let client: PdsClient

  before(async () => {
    pds = await startLocalPds()
    client = new PdsClient(pds.pdsUrl, { adminPassword: pds.adminPassword })
  })
  after(async () => {
    await pds?.stop()
  })

  test(`SIGKILLed ${KILLS} times mid-backfill: every record once for read_committed`, async (t) => {
    const accounts: Session[] = []
    const expected = new Set<string>()
    for (let a = 0; a < ACCOUNTS; a++) {
      const s = await client.createAccount(`tap-eos-${a}.test`)
      accounts.push(s)
      for (let batch = 0; batch < BATCHES; batch++) {
        const writes: ApplyWrite[] = Array.from({ length: PER_BATCH }, (_, i) => ({
          action: 'create',
          collection: i % 5 === 0 ? 'app.bsky.graph.follow' : 'app.bsky.feed.post',
          value:
            i % 5 === 0
              ? { subject: s.did, createdAt: new Date().toISOString() }
              : { text: `eos ${a} ${batch}/${i}`, createdAt: new Date().toISOString() },
        }))
        for (const r of (await client.applyWrites(s, writes)).results) {
          if (r.rkey) expected.add(`${s.did}/${r.uri.split('/').at(-2)}/${r.rkey}`)
        }
      }
    }
    assert.equal(expected.size, ACCOUNTS * BATCHES * PER_BATCH)

    await using tap = await startTap({ relayUrl: pds.pdsUrl, plcUrl: pds.plcUrl, retryTimeout: '2s' })
    const topic = uniqueTopic('tap-eos')
    await createTopic(topic, 4)
    const children = atkafkaChildren(t, { command: ['firehose', 'tap'] })
    const args = (port: number) => [
      '--tap-host',
      tap.channelUrl.replace(/\/channel$/, ''),
      '--bootstrap-servers',
      brokerEnv().bootstrap,
      '--output-topic',
      topic,
      '--cursor-topic',
      `${topic}.cursors`,
      '--source-id',
      `test:${topic}`,
      '--metrics-address',
      `127.0.0.1:${port}`,
      '--exactly-once',
      '--transaction-interval-ms',
      '200',
      '--tap-max-committed-ids',
      '1000',
      // Tap resends an unacked event within 2 × its 2 s retry timeout
      '--tap-redelivery-window-ms',
      '10000',
      // a small window keeps the first run from taking the whole backfill at once
      '--max-in-flight',
      '50',
    ]
    const metric = async (port: number, name: string) => (await childMetric(port, name)) ?? 0
    const counts = async (port: number) => ({
      produced: await metric(port, 'atkafka_produced_events{status="ok"}'),
      skippedInFlight: await metric(port, 'atkafka_tap_redeliveries_skipped_total{state="in_flight"}'),
      skippedCommitted: await metric(port, 'atkafka_tap_redeliveries_skipped_total{state="committed"}'),
      refused: await metric(port, 'atkafka_tap_refused_at_bound_total'),
      kept: await metric(port, 'atkafka_tap_committed_ids'),
    })
    const runs: string[] = []
    let child: ChildProcess | undefined
    for (let k = 0; k <= KILLS; k++) {
      const port = await freePort()
      child = children.start(args(port))
      const running = child
      await waitFor(
        async () => (await childMetric(port, 'atkafka_upstream_connected{source="tap"}')) === 1,
        `run ${k} connected to Tap`,
        60_000,
      )
      if (k === 0) await tap.addRepos(accounts.map((a) => a.did))
      if (k === KILLS) break
      // kill once this run produced a few hundred records (what it commits and acks before
      // the kill differs run to run; Tap resends everything it did not get an ack for)
      await waitFor(
        async () => {
          assert.equal(running.exitCode, null, `run ${k} ended by itself: ${children.tail(running)}`)
          return (await metric(port, 'atkafka_produced_events{status="ok"}')) >= 300
        },
        `run ${k} part way through the backfill`,
        180_000,
      )
      const c = await counts(port)
      await children.kill9(running)
      runs.push(`run ${k}: SIGKILL after ${JSON.stringify(c)}`)
    }
    const last = child!
    const lastPort = Number(last.spawnargs[last.spawnargs.indexOf('--metrics-address') + 1]?.split(':')[1])
    // done: Tap holds no event it has not had an ack for (and removed the acked rows)
    await waitFor(
      async () => {
        assert.equal(last.exitCode, null, `the last run ended by itself: ${children.tail(last)}`)
        const { outbox_buffer } = await tap.getJson<{ outbox_buffer: number }>('/stats/outbox-buffer')
        return outbox_buffer === 0
      },
      'Tap outbox drained by the last run',
      300_000,
    )
    const c = await counts(lastPort)
    assert.equal(await children.stop(last), 0, children.tail(last))
    runs.push(`run ${KILLS}: stopped after ${JSON.stringify(c)}`)

    // the reference read_committed consumer
    const values = await readTopicJava(topic, 'read_committed')
    const seen = new Map<string, number>()
    for (const v of values) {
      const e = JSON.parse(v) as { did: string; operation?: { collection: string; rkey: string } }
      if (!e.operation) continue
      const path = `${e.did}/${e.operation.collection}/${e.operation.rkey}`
      seen.set(path, (seen.get(path) ?? 0) + 1)
    }
    let duplicated = 0
    for (const n of seen.values()) duplicated += n - 1
    const missing = [...expected].filter((p) => !seen.has(p))
    const unexpected = [...seen.keys()].filter((p) => !expected.has(p))
    // what a reader that does not wait for commits sees (aborted transactions included)
    const uncommitted = (await readTopic(topic, { count: 1_000_000, timeoutMs: 20_000, idleMs: 3000 })).length
    t.diagnostic(runs.join('\n'))
    t.diagnostic(
      `${expected.size} records; read_committed: ${values.length} messages, ${duplicated} duplicated, ${missing.length} missing, ${unexpected.length} unexpected; read_uncommitted: ${uncommitted} messages`,
    )
    assert.deepEqual(
      { duplicated, missing: missing.length, unexpected: unexpected.length },
      { duplicated: 0, missing: 0, unexpected: 0 },
      missing.slice(0, 5).join('\n'),
    )
    // the kept ids are in the cursor topic, committed with the events
    const cursors = await readTopic(`${topic}.cursors`, {
      count: 1_000_000,
      timeoutMs: 10_000,
      idleMs: 2000,
      isolation: 'READ_COMMITTED',
    })
    const stored = JSON.parse(cursors.at(-1)?.value.toString() ?? '{}') as { tap?: { v: number } }
    assert.equal(stored.tap?.v, 1)
  })
})
