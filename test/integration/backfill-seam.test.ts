// The seam between a backfill and live, on the real local PDS: `firehose relay --backfill-seam`
// is started first and waits (its status page says so), the plan notes the PDS's seq, users keep
// writing before the workers start, while they copy and after they are done, and the relay mode
// reads the PDS's subscribeRepos from the noted seq. The Java read_committed consumer then finds
// every record of every repo exactly once across backfill + live: none missing, none twice.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { readBackfillStatus } from '../../src/backfill/backfill-status.ts'
import type { KafkaConfig } from '../../src/kafka/kafka-client-options.ts'
import { atkafka, seamStatus } from '../helpers/backfill-seam-world.ts'
import { populate } from '../helpers/backfill-world.ts'
import { atkafkaChildren, childMetric, readTopicJava } from '../helpers/delivery.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient, type Session } from '../helpers/pds-client.ts'
import { waitFor } from '../helpers/run-app.ts'

const ACCOUNTS = 30
/** writes made after the plan noted the seq and before any worker runs: each is in a copy and live */
const BEFORE_WORK = 12
const AFTER_DONE = 15

describe('backfill seam', () => {
  let pds: LocalPds
  let client: PdsClient
  let sessions: Session[]
  let records: Map<string, string>
  before(async () => {
    pds = await startLocalPds()
    client = new PdsClient(pds.pdsUrl)
    const made = await populate(client, ACCOUNTS, (i) => (i * 7) % 25)
    sessions = made.sessions
    records = made.records
  })
  after(async () => {
    await pds?.stop()
  })

  test('live writes before, during and after the backfill: every record once across backfill + live', async (t) => {
    const work = uniqueTopic('seam-work')
    const out = uniqueTopic('seam-out')
    const group = `seam-${randomUUID()}`
    const kafka = ['--bootstrap-servers', brokerEnv().bootstrap]
    let writes = 0
    const write = async () => {
      const s = sessions[writes++ % sessions.length]!
      const r = await client.createRecord(s, 'app.bsky.feed.post', {
        text: `live ${writes}`,
        createdAt: new Date().toISOString(),
      })
      records.set(r.uri, r.cid)
    }

    // live first: it waits for the backfill
    const port = await freePort()
    const relays = atkafkaChildren(t)
    const relay = relays.start([
      ...kafka,
      '--relay-host',
      pds.firehoseUrl.replace(/\/xrpc\/com\.atproto\.sync\.subscribeRepos$/, ''),
      '--output-topic',
      out,
      '--cursor-topic',
      `${out}.cursors`,
      '--backfill-seam',
      work,
      '--backfill-seam-group',
      group,
      '--metrics-address',
      `127.0.0.1:${port}`,
    ])
    const seam = () => seamStatus(port)
    await waitFor(async () => (await seam())?.state === 'waiting', 'the live writer waiting', 60_000)

    // the plan notes the PDS's seq from its first frame: writes go on until it has
    const planning = atkafka([
      'backfill',
      'plan',
      ...kafka,
      '--backfill-work-topic',
      work,
      '--backfill-pds-hosts',
      pds.pdsUrl,
      '--backfill-live-host',
      pds.pdsUrl,
      '--backfill-partitions',
      '4',
    ])
    let planned = false
    void planning.then(() => {
      planned = true
    })
    while (!planned) {
      await write()
      await new Promise((r) => setTimeout(r, 300))
    }
    const plan = await planning
    assert.equal(plan.code, 0, plan.stderr.slice(-2000))
    const state = JSON.parse(plan.stdout) as { planned: number; liveSeq?: number; complete: boolean }
    assert.equal(state.planned, ACCOUNTS)
    assert.equal(typeof state.liveSeq, 'number', 'the plan noted the seq live starts from')
    for (let i = 0; i < BEFORE_WORK; i++) await write()
    // a complete plan with every item left: still waiting, and saying how much is left
    await waitFor(
      async () => (await seam())?.left === ACCOUNTS,
      `the seam sees ${ACCOUNTS} items left`,
      30_000,
    )
    assert.equal((await seam())?.state, 'waiting')

    // two workers, slow enough (2 repos/s each) that users write while repos are copied
    const workers = atkafkaChildren(t, { command: ['backfill', 'work'] })
    const args = [
      ...kafka,
      '--backfill-work-topic',
      work,
      '--output-topic',
      out,
      '--backfill-group',
      group,
      '--backfill-host-rate',
      '2',
    ]
    const ports = [await freePort(), await freePort()]
    const running = ports.map((p) => workers.start([...args, '--metrics-address', `127.0.0.1:${p}`]))
    const config = {
      bootstrapServers: [brokerEnv().bootstrap],
      clientId: 'seam-test',
      tls: false,
    } as unknown as KafkaConfig
    let during = 0
    for (;;) {
      const s = await readBackfillStatus(config, work, group)
      if (s.items === ACCOUNTS && s.consumed >= s.items) break
      await write()
      during++
      await new Promise((r) => setTimeout(r, 200))
    }
    // each worker's status page: the fleet's progress from Kafka, its own numbers, the host
    type WorkerReport = {
      command: string
      fleet: { items: number; consumed: number; left: number; etaSeconds: number | null } | null
      totals: { done: number; skipped: number; failed: number; records: number }
      failed: Record<string, number>
      hostRequests: { open: Record<string, number> }
    }
    const reportOf = async (p: number) =>
      (await (await fetch(`http://127.0.0.1:${p}/status.json`)).json()) as WorkerReport
    await waitFor(
      async () => {
        const rs = await Promise.all(ports.map(reportOf))
        return rs.every((r) => r.fleet?.left === 0) && rs.reduce((a, r) => a + r.totals.done, 0) === ACCOUNTS
      },
      'the workers’ pages: nothing left, every repo done',
      30_000,
    )
    const reports = await Promise.all(ports.map(reportOf))
    for (const r of reports) {
      assert.equal(r.command, 'backfill work')
      assert.deepEqual(r.fleet && { items: r.fleet.items, left: r.fleet.left, eta: r.fleet.etaSeconds }, {
        items: ACCOUNTS,
        left: 0,
        eta: 0,
      })
      assert.deepEqual(r.failed, {})
      assert.equal(r.totals.failed, 0)
      assert.deepEqual(Object.keys(r.hostRequests.open), [new URL(pds.pdsUrl).host])
    }
    const page = await (await fetch(`http://127.0.0.1:${ports[0]}/`)).text()
    for (const field of ['fleet.left', 'fleet.etaSeconds', 'recordsPerSecond', 'totals.done'])
      assert.ok(page.includes(`data-field="${field}"`), field)
    for (const table of ['failed', 'hostRequests.open', 'hostRequests.pausedSeconds'])
      assert.ok(page.includes(`data-table="${table}"`), table)
    assert.match(await (await fetch(`http://127.0.0.1:${ports[0]}/status.js`)).text(), /status\.json/)
    const copiedByWorkers = reports.reduce((a, r) => a + r.totals.records, 0)
    for (const w of running) assert.equal(await workers.stop(w), 0, workers.tail(w))
    // after the backfill: the writer goes live, notes the stream's seq, and lets its table go
    // once the stream passes it (users keep writing until it has)
    await waitFor(async () => (await seam())?.state !== 'waiting', 'the seam going live', 60_000)
    let afterDone = 0
    const t0 = Date.now()
    while (afterDone < AFTER_DONE || ((await seam())?.state !== 'passed' && Date.now() - t0 < 60_000)) {
      await write()
      afterDone++
      await new Promise((r) => setTimeout(r, 100))
    }

    // live catches up: every record the PDS holds is in the output topic
    await waitFor(
      async () => {
        const seen = new Set<string>()
        for (const m of await readTopic(out, { count: 1_000_000, timeoutMs: 3000, idleMs: 1000 })) {
          const e = JSON.parse(m.value.toString()) as { operation?: { uri: string } }
          if (e.operation) seen.add(e.operation.uri)
        }
        return [...records.keys()].every((u) => seen.has(u))
      },
      'every record in the output topic',
      120_000,
    )
    const filtering = await seam()
    const skipped = await childMetric(port, 'atkafka_dropped_events_total{reason="copied_by_backfill"}')
    assert.equal(relay.exitCode, null, relays.tail(relay))
    assert.equal(await relays.stop(relay), 0, relays.tail(relay))

    const seen = new Map<string, number>()
    let copied = 0
    let live = 0
    for (const v of await readTopicJava(out, 'read_committed')) {
      const e = JSON.parse(v) as { operation?: { uri: string; cid: string; action: string; live?: boolean } }
      if (!e.operation) continue
      assert.equal(e.operation.action, 'create', v.slice(0, 300))
      assert.equal(records.get(e.operation.uri), e.operation.cid, e.operation.uri)
      seen.set(e.operation.uri, (seen.get(e.operation.uri) ?? 0) + 1)
      if (e.operation.live === false) copied++
      else live++
    }
    const doubled = [...seen].filter(([, n]) => n !== 1)
    const missing = [...records.keys()].filter((u) => !seen.has(u))
    t.diagnostic(
      `${records.size} records (${writes} written live: ${BEFORE_WORK} after the plan before any worker, ${during} while copying, ${afterDone} after); read back ${copied} from the backfill + ${live} live; the workers' pages: ${JSON.stringify(reports.map((r) => r.totals))}; the seam skipped ${skipped}; liveSeq ${state.liveSeq}, seam ${JSON.stringify(filtering)}`,
    )
    assert.deepEqual(doubled, [], 'no record twice')
    assert.deepEqual(missing, [], 'no record missing')
    assert.equal(copied + live, records.size)
    assert.ok(copiedByWorkers >= copied, 'the workers count what they copied (and what aborted)')
    assert.ok(live >= afterDone, 'what was written after the backfill came live')
    assert.equal(
      filtering?.state,
      'passed',
      'past the seq noted once the backfill was done, the table is let go',
    )
    assert.equal(typeof filtering?.endSeq, 'number')
    // each write after the plan noted the seq and before any copy is in a copy and in the stream
    assert.ok((skipped ?? 0) >= BEFORE_WORK, `skipped ${skipped}`)
    assert.equal(filtering?.skipped, skipped, 'the status page counts what /metrics counts')
    assert.equal(filtering?.repos, ACCOUNTS, 'one copied rev per repo')
    assert.ok((filtering?.bytes as number) > 0)
    assert.equal(filtering?.liveSeq, state.liveSeq)
  })
})
