// The seam with `--backfill-seam-start now`, on the real local PDS: the live writer goes live as
// soon as the plan noted the PDS's seq S, while two workers copy, and learns each copy's rev from
// `<work>.done` as it commits. Users write after the plan (before any worker runs), while the
// workers copy, while the writer is stopped mid-copy (on restart it reads the copies committed
// meanwhile before it replays those writes: skipped, not doubled), and after the backfill is
// done. The Java read_committed consumer then finds every
// record the PDS holds; a record is there twice only when docs/backfill.md says so: its commit
// was sequenced at or after S, at a rev at or below the rev its repo was copied at, and the
// writer did not skip it (it had not read that copy yet). So, counted, not timed:
// doubles + skipped = the records written at or after S to repos copied after the write.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { readBackfillStatus } from '../../src/backfill/backfill-status.ts'
import type { KafkaConfig } from '../../src/kafka/kafka-client-options.ts'
import { tidNumber } from '../../src/sources/relay/rev-floor.ts'
import { atkafka, commitSeqs, seamStatus } from '../helpers/backfill-seam-world.ts'
import { populate } from '../helpers/backfill-world.ts'
import { atkafkaChildren, childMetric, readTopicJava } from '../helpers/delivery.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient, type Session } from '../helpers/pds-client.ts'
import { waitFor } from '../helpers/run-app.ts'

const ACCOUNTS = 20
/** writes after the plan, before any worker runs, each to another repo: each is live, then in its copy */
const BEFORE_WORK = 10
const AFTER_DONE = 10

/** the live writes: uri → its commit's DID, rev, and the record's cid */
type Write = {
  did: string
  rev: string
  cid: string
  phase: 'planning' | 'before' | 'during' | 'down' | 'after'
}

describe('backfill seam, live from the start', () => {
  let pds: LocalPds
  let client: PdsClient
  let sessions: Session[]
  let records: Map<string, string>
  before(async () => {
    pds = await startLocalPds()
    client = new PdsClient(pds.pdsUrl)
    const made = await populate(client, ACCOUNTS, (i) => (i * 7) % 16)
    sessions = made.sessions
    records = made.records
  })
  after(async () => {
    await pds?.stop()
  })

  test('live while the workers copy: no record missing; doubles only where a copy came after its live write, as many as predicted', async (t) => {
    const work = uniqueTopic('seam-now-work')
    const out = uniqueTopic('seam-now-out')
    const group = `seam-now-${randomUUID()}`
    const kafka = ['--bootstrap-servers', brokerEnv().bootstrap]
    const writes = new Map<string, Write>()
    let n = 0
    let last = ''
    const write = async (phase: Write['phase'], s = sessions[n % sessions.length]!) => {
      n++
      const r = await client.createRecord(s, 'app.bsky.feed.post', {
        text: `live ${n}`,
        createdAt: new Date().toISOString(),
      })
      records.set(r.uri, r.cid)
      writes.set(r.uri, { did: s.did, rev: r.rev, cid: r.cid, phase })
      last = `${s.did} ${r.rev}`
      return r.uri
    }
    const liveUris = async () => {
      const seen = new Set<string>()
      for (const m of await readTopic(out, { count: 1_000_000, timeoutMs: 3000, idleMs: 1000 })) {
        const e = JSON.parse(m.value.toString()) as { operation?: { uri: string; live?: boolean } }
        if (e.operation && e.operation.live !== false) seen.add(e.operation.uri)
      }
      return seen
    }

    const port = await freePort()
    const relays = atkafkaChildren(t)
    const writerArgs = [
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
      '--backfill-seam-start',
      'now',
      '--metrics-address',
      `127.0.0.1:${port}`,
    ]
    let relay = relays.start(writerArgs)
    const seam = () => seamStatus(port)
    const skippedNow = async () =>
      (await childMetric(port, 'atkafka_dropped_events_total{reason="copied_by_backfill"}')) ?? 0
    await waitFor(
      async () => (await seam())?.state === 'waiting',
      'the live writer waiting for a plan',
      60_000,
    )

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
      await write('planning')
      await new Promise((r) => setTimeout(r, 300))
    }
    const plan = await planning
    assert.equal(plan.code, 0, plan.stderr.slice(-2000))
    const state = JSON.parse(plan.stdout) as { planned: number; liveSeq?: number }
    assert.equal(state.planned, ACCOUNTS)
    assert.equal(typeof state.liveSeq, 'number', 'the plan noted the seq live starts from')

    // live before any copy: the writer does not wait for the backfill
    await waitFor(
      async () => (await seam())?.state === 'copying',
      'the writer live while nothing is copied',
      30_000,
    )
    const early: string[] = []
    for (let i = 0; i < BEFORE_WORK; i++) early.push(await write('before', sessions[i]!))
    await waitFor(
      async () => {
        const live = await liveUris()
        return early.every((u) => live.has(u))
      },
      'the writes before any worker in the output topic, live',
      60_000,
    )
    const copying = await seam()
    assert.equal(copying?.left, ACCOUNTS, 'the status page counts the items left while live')
    assert.equal(copying?.repos, 0)

    // two workers, slow enough (1 repo/s each) that users write while repos are copied
    const workers = atkafkaChildren(t, { command: ['backfill', 'work'] })
    const ports = [await freePort(), await freePort()]
    const running = ports.map((p) =>
      workers.start([
        ...kafka,
        '--backfill-work-topic',
        work,
        '--output-topic',
        out,
        '--backfill-group',
        group,
        '--backfill-host-rate',
        '1',
        '--metrics-address',
        `127.0.0.1:${p}`,
      ]),
    )
    const config = {
      bootstrapServers: [brokerEnv().bootstrap],
      clientId: 'seam-now-test',
      tls: false,
    } as unknown as KafkaConfig
    const fleet = () => readBackfillStatus(config, work, group)
    while ((await fleet()).done < ACCOUNTS / 4) {
      await write('during')
      await new Promise((r) => setTimeout(r, 150))
    }
    // the writer stopped mid-copy; one write to every repo while it is down; at most 4 repos are
    // copied at a time (4 work partitions), so 6 more copies hold at least 2 of those writes
    const skippedBeforeStop = await skippedNow()
    assert.equal(await relays.stop(relay), 0, relays.tail(relay))
    const down: string[] = []
    for (const s of sessions) down.push(await write('down', s))
    const doneAtDown = (await fleet()).done
    await waitFor(
      async () => (await fleet()).done >= Math.min(ACCOUNTS, doneAtDown + 6),
      '6 more repos copied',
      30_000,
    )
    // the copies committed before the restart: it reads them before it replays the writes
    const copiedBeforeRestart = new Map<string, bigint>()
    for (const v of await readTopicJava(`${work}.done`, 'read_committed')) {
      const d = JSON.parse(v) as { did: string; rev: string }
      copiedBeforeRestart.set(d.did, tidNumber(d.rev)!)
    }
    const mustSkip = down.filter((u) => {
      const w = writes.get(u)!
      return tidNumber(w.rev)! <= (copiedBeforeRestart.get(w.did) ?? -1n)
    })
    assert.ok(mustSkip.length >= 2, `${mustSkip.length} writes made while down, copied before the restart`)
    relay = relays.start(writerArgs)
    for (;;) {
      const s = await fleet()
      if (s.items === ACCOUNTS && s.consumed >= s.items) break
      await write('during')
      await new Promise((r) => setTimeout(r, 150))
    }
    type WorkerReport = { totals: { done: number; failed: number } }
    await waitFor(
      async () => {
        const rs = await Promise.all(
          ports.map(
            async (p) => (await (await fetch(`http://127.0.0.1:${p}/status.json`)).json()) as WorkerReport,
          ),
        )
        return rs.reduce((a, r) => a + r.totals.done, 0) === ACCOUNTS
      },
      'the workers’ pages: every repo done',
      30_000,
    )
    for (const w of running) assert.equal(await workers.stop(w), 0, workers.tail(w))

    // the backfill done: the writer notes the stream's seq and lets its table go past it
    await waitFor(
      async () => ['filtering', 'passed'].includes((await seam())?.state as string),
      'the seam seeing the backfill done',
      30_000,
    )
    let afterDone = 0
    const t0 = Date.now()
    while (afterDone < AFTER_DONE || ((await seam())?.state !== 'passed' && Date.now() - t0 < 60_000)) {
      await write('after')
      afterDone++
      await new Promise((r) => setTimeout(r, 100))
    }
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
    const passed = await seam()
    const skippedAfterRestart = await skippedNow()
    const skipped = skippedBeforeStop + skippedAfterRestart
    assert.equal(relay.exitCode, null, relays.tail(relay))
    assert.equal(await relays.stop(relay), 0, relays.tail(relay))

    // what the docs predict: the copied rev of each repo, and which writes the PDS sequenced at or after S
    const copiedRev = new Map<string, bigint>()
    for (const v of await readTopicJava(`${work}.done`, 'read_committed')) {
      const d = JSON.parse(v) as { did: string; rev: string }
      const r = tidNumber(d.rev)!
      if (r > (copiedRev.get(d.did) ?? -1n)) copiedRev.set(d.did, r)
    }
    assert.equal(copiedRev.size, ACCOUNTS)
    const liveSeq = state.liveSeq!
    const sequenced = await commitSeqs(pds.firehoseUrl, liveSeq, last)
    const window = new Set(
      [...writes]
        .filter(([, w]) => sequenced.has(`${w.did} ${w.rev}`) && tidNumber(w.rev)! <= copiedRev.get(w.did)!)
        .map(([uri]) => uri),
    )

    const copies = new Map<string, number>()
    const lives = new Map<string, number>()
    for (const v of await readTopicJava(out, 'read_committed')) {
      const e = JSON.parse(v) as { operation?: { uri: string; cid: string; action: string; live?: boolean } }
      if (!e.operation) continue
      assert.equal(e.operation.action, 'create', v.slice(0, 300))
      assert.equal(records.get(e.operation.uri), e.operation.cid, e.operation.uri)
      const m = e.operation.live === false ? copies : lives
      m.set(e.operation.uri, (m.get(e.operation.uri) ?? 0) + 1)
    }
    const missing = [...records.keys()].filter((u) => !copies.has(u) && !lives.has(u))
    const twice = [...records.keys()].filter((u) => (copies.get(u) ?? 0) + (lives.get(u) ?? 0) > 1)
    const phases = (uris: Iterable<string>) => {
      const c: Record<string, number> = {}
      for (const u of uris) {
        const p = writes.get(u)?.phase ?? 'populate'
        c[p] = (c[p] ?? 0) + 1
      }
      return c
    }
    t.diagnostic(
      `${records.size} records (${writes.size} written live: ${JSON.stringify(phases(writes.keys()))}); S ${liveSeq}, ${sequenced.size} commits from S on; ${window.size} written from S on to repos copied after (${JSON.stringify(phases(window))}); read back ${copies.size} copied + ${lives.size} live, ${twice.length} twice (${JSON.stringify(phases(twice))}); the seam skipped ${skipped} (${skippedBeforeStop} before the stop; ${mustSkip.length} writes made while down were copied before the restart); seam ${JSON.stringify(passed)}`,
    )
    assert.deepEqual(missing, [], 'no record missing')
    for (const u of twice) {
      assert.deepEqual([copies.get(u), lives.get(u)], [1, 1], `${u}: once copied, once live`)
      assert.ok(window.has(u), `${u} twice but not written from S on to a repo copied after`)
    }
    for (const u of records.keys())
      assert.ok((copies.get(u) ?? 0) <= 1 && (lives.get(u) ?? 0) <= 1, `${u} in one way once at most`)
    assert.equal(
      twice.length + skipped,
      window.size,
      'doubles + skipped = the records written in the copy window',
    )
    for (const u of early) assert.ok(twice.includes(u), `${u}: written live before any copy, then copied`)
    for (const [u, w] of writes)
      if (w.phase === 'after')
        assert.deepEqual([copies.get(u), lives.get(u)], [undefined, 1], `${u} after the backfill`)
    assert.equal(
      passed?.state,
      'passed',
      'past the seq noted once the backfill was done, the table is let go',
    )
    assert.equal(passed?.repos, ACCOUNTS, 'one copied rev per repo, read while live')
    assert.equal(passed?.skipped, skippedAfterRestart, 'the status page counts what /metrics counts')
    for (const u of mustSkip)
      assert.ok(!twice.includes(u), `${u}: copied before the restart read it, skipped`)
    assert.equal(passed?.liveSeq, liveSeq)
  })
})
