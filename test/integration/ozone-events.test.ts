// `atkafka ozone-events` end to end: a real Ozone on PostgreSQL behind a real PDS, the real
// Kafka broker, and what the broker holds afterwards. Default mode: every event at least once,
// one subject's events in order, values deep-equal to what queryEvents returns. Exactly-once
// mode: every event exactly once as a read_committed consumer (the Java client) sees it,
// across kill -9 mid-backlog. Also: the Osprey envelope, the cursor in the Kafka cursor topic,
// metrics and the status page, and the exit code of a configuration error.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { StatusReport } from '../../src/status/status-report.ts'
import { atkafkaChildren, childMetric, readTopicJava } from '../helpers/delivery.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import type { ModEventView } from '../helpers/ozone-driver.ts'
import {
  atkafkaLogin,
  emitBurst,
  emitMixedEvents,
  type OzoneWorld,
  startOzoneWorld,
} from '../helpers/ozone-world.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const repoRoot = join(import.meta.dirname, '..', '..')

/** a series' value as GET /metrics shows it (0 when the labelled series is absent) */
async function scraped(
  app: { http(path: string): Promise<{ body: string }> },
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const { body } = await app.http('/metrics')
  for (const line of body.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return 0
}

function ozoneArgs(world: OzoneWorld, topic: string, extra: string[] = []): string[] {
  return [
    ...atkafkaLogin(world).args,
    '--output-topic',
    topic,
    '--topic-partitions',
    '4',
    '--cursor-topic',
    `${topic}.cursors`,
    '--ozone-poll-interval-ms',
    '200',
    '--reconnect-min-ms',
    '100',
    '--reconnect-max-ms',
    '1000',
    ...extra,
  ]
}

async function allViews(world: OzoneWorld): Promise<ModEventView[]> {
  return world.driver.allEvents(await world.login(world.moderator))
}

describe('atkafka ozone-events → Kafka (real Ozone, PDS, broker)', () => {
  let world: OzoneWorld
  before(async () => {
    world = await startOzoneWorld()
    await emitMixedEvents(world, 2)
  })
  after(() => world?.stop())

  test('backlog, then a live burst: each event in Kafka once, keyed by subject DID, the backlog in order per subject, as queryEvents returns it', async () => {
    const topic = uniqueTopic('ozone')
    let expected = await allViews(world)
    const backlog = new Set(expected.map((e) => e.id))
    const app = await startApp('ozone', ozoneArgs(world, topic), atkafkaLogin(world).env)
    try {
      await waitFor(
        async () => (await app.metric('atkafka_produced_events', { status: 'ok' })) >= expected.length,
        'the backlog in Kafka',
      )
      // live: a burst of hundreds straight at Ozone
      const burst = await emitBurst(world, 300, 48, 'live')
      const spanMs = Date.parse(burst.at(-1)!.createdAt) - Date.parse(burst[0]!.createdAt)
      process.stderr.write(`ozone-events: a burst of ${burst.length} events over ${spanMs} ms of createdAt\n`)
      expected = await allViews(world)
      await waitFor(
        async () => (await app.metric('atkafka_produced_events', { status: 'ok' })) >= expected.length,
        'the burst in Kafka',
      )
      const status = JSON.parse((await app.http('/status.json')).body) as StatusReport
      assert.equal(status.command, 'ozone')
      assert.equal(status.ozone?.labelerDid, world.ozone.serverDid)
      assert.equal(status.ozone?.lastEventId, expected.at(-1)!.id)
      assert.equal(status.upstream.state, 'connected')
      assert.ok(typeof status.lagSeconds === 'number')
      assert.equal(
        await app.metric('atkafka_handled_events', { action_name: 'ozone#modEventComment', collection: '' }),
        expected.filter((e) => e.event.$type.endsWith('#modEventComment')).length,
      )
    } finally {
      await app.stop()
    }
    const messages = await readTopic(topic, { count: expected.length + 1, timeoutMs: 15_000, idleMs: 3000 })
    const got = messages.map((m) => ({
      key: m.key.toString(),
      view: JSON.parse(m.value.toString()) as ModEventView,
    }))
    assert.equal(got.length, expected.length, 'nothing doubled in a clean run')
    const byId = new Map(got.map((g) => [g.view.id, g]))
    for (const e of expected) {
      const g = byId.get(e.id)
      assert.ok(g, `event ${e.id} in Kafka`)
      assert.deepEqual(g.view, e)
      assert.equal(g.key, e.subject.did ?? e.subject.uri!.split('/')[2])
    }
    // per subject (= per key = per partition) the backlog is in Ozone's (createdAt, id) order.
    // (Live events of one subject come in the order they became visible: Ozone stamps createdAt
    // before its transaction waits for the subject's row, so a later stamp can commit first.)
    const rank = new Map(expected.map((e, i) => [e.id, i]))
    const perKey = new Map<string, number[]>()
    for (const m of messages.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))) {
      const id = (JSON.parse(m.value.toString()) as ModEventView).id
      if (!backlog.has(id)) continue
      const list = perKey.get(m.key.toString()) ?? []
      list.push(rank.get(id)!)
      perKey.set(m.key.toString(), list)
    }
    assert.ok(perKey.size >= 3)
    for (const [key, list] of perKey)
      assert.deepEqual(
        list,
        [...list].sort((x, y) => x - y),
        `order of ${key}`,
      )
    // the cursor: in the cursor topic under ozone:<labeler did>
    const cursors = await readTopic(`${topic}.cursors`, { count: 1000, timeoutMs: 5000, idleMs: 1500 })
    const mine = cursors.filter((c) => c.key.toString() === `ozone:${world.ozone.serverDid}`)
    assert.ok(mine.length > 0)
    const last = JSON.parse(mine.at(-1)!.value.toString()) as { position: { last: { id: number } } }
    assert.equal(last.position.last.id, expected.at(-1)!.id)

    // a restart resumes after the stored position: only new events are produced
    const fresh = await world.driver.comment(
      await world.login(world.moderator2),
      { $type: 'com.atproto.admin.defs#repoRef', did: world.users[1]!.did },
      'after the restart',
    )
    const again = await startApp('ozone', ozoneArgs(world, topic), atkafkaLogin(world).env)
    try {
      await waitFor(
        async () => (await again.metric('atkafka_produced_events', { status: 'ok' })) >= 1,
        'the new event',
      )
      await sleep(1500)
      assert.equal(await again.metric('atkafka_produced_events', { status: 'ok' }), 1)
    } finally {
      await again.stop()
    }
    const after = await readTopic(topic, { count: expected.length + 2, timeoutMs: 10_000, idleMs: 2000 })
    assert.equal(after.length, expected.length + 1)
    assert.deepEqual(
      JSON.parse(after.map((m) => m.value.toString()).find((v) => v.includes('after the restart'))!),
      fresh,
    )
  })

  test('--osprey-compatible: the envelope carries the view, action names from its $type; --ozone-key event-id', async () => {
    const topic = uniqueTopic('ozone-osprey')
    const expected = await allViews(world)
    const app = await startApp(
      'ozone',
      ozoneArgs(world, topic, ['--osprey-compatible', '--ozone-key', 'event-id', '--cursor-store', 'none']),
      atkafkaLogin(world).env,
    )
    try {
      await waitFor(
        async () => (await app.metric('atkafka_produced_events', { status: 'ok' })) >= expected.length,
        'all events',
      )
    } finally {
      await app.stop()
    }
    const messages = await readTopic(topic, { count: expected.length, timeoutMs: 15_000 })
    const byId = new Map(expected.map((e) => [e.id, e]))
    for (const m of messages) {
      const envelope = JSON.parse(m.value.toString()) as {
        data: { action_name: string; action_id: number; data: ModEventView; timestamp: string }
        send_time: string
      }
      const view = byId.get(envelope.data.data.id)!
      assert.deepEqual(envelope.data.data, view)
      assert.equal(envelope.data.action_name, `ozone#${view.event.$type.split('#')[1]}`)
      assert.equal(envelope.data.timestamp, view.createdAt)
      assert.equal(envelope.send_time, view.createdAt)
      assert.equal(m.key.toString(), String(view.id))
    }
  })

  test('exactly once: kill -9 mid-backlog and restart; a read_committed consumer sees every event once', async (t) => {
    const topic = uniqueTopic('ozone-eos')
    await emitBurst(world, 1500, 48, 'backlog')
    const expected = await allViews(world)
    const children = atkafkaChildren(t, { command: ['ozone-events'], env: atkafkaLogin(world).env })
    const start = async () => {
      const port = await freePort()
      const child = children.start(
        ozoneArgs(world, topic, [
          '--exactly-once',
          '--transaction-interval-ms',
          '100',
          '--ozone-page-limit',
          '10',
          '--bootstrap-servers',
          brokerEnv().bootstrap,
          '--metrics-address',
          `127.0.0.1:${port}`,
          '--log-level',
          'warn',
        ]),
      )
      return { child, port }
    }
    /** a run killed once `produced` events of it are in Kafka */
    const killedRun = async (produced: number, what: string) => {
      const run = await start()
      await waitFor(
        async () => ((await childMetric(run.port, 'atkafka_produced_events{status="ok"}')) ?? 0) >= produced,
        what,
        60_000,
      )
      await children.kill9(run.child)
    }
    // a first run killed once a few hundred events are in Kafka, a second killed too, then a
    // third that finishes
    await killedRun(300, 'part of the backlog')
    await killedRun(200, 'more of the backlog')
    const third = await start()
    // it is done when its status page shows the last event in Kafka
    await waitFor(
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${third.port}/status.json`)
          const s = (await res.json()) as { ozone?: { lastEventId: number | null } }
          return s.ozone?.lastEventId === expected.at(-1)!.id
        } catch {
          return false
        }
      },
      'the whole backlog',
      120_000,
    )
    await sleep(500)
    assert.equal(await children.stop(third.child), 0)
    const committed = await readTopicJava(topic, 'read_committed')
    const ids = committed.map((v) => (JSON.parse(v) as ModEventView).id)
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i)
    assert.deepEqual(dupes, [], 'no event twice')
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      expected.map((e) => e.id).sort((a, b) => a - b),
    )
    const byId = new Map(expected.map((e) => [e.id, e]))
    for (const v of committed) assert.deepEqual(JSON.parse(v), byId.get((JSON.parse(v) as ModEventView).id))
    // the kills left aborted records behind: read_uncommitted sees more than read_committed
    const uncommitted = await readTopicJava(topic, 'read_uncommitted')
    process.stderr.write(
      `ozone-events exactly-once: ${committed.length} committed, ${uncommitted.length} uncommitted records\n`,
    )
  })

  test('the Ozone series on /metrics and the status page: pages and events read, ids tracked, the window and when it was cut short, failed calls by reason', async () => {
    // more events than --ozone-max-tracked, all within the overlap: the window must be cut short
    const have = await allViews(world)
    if (have.length < 130) await emitBurst(world, 130 - have.length, 16, 'metrics')
    const expected = await allViews(world)
    const pageLimit = 25
    const app = await startApp(
      'ozone',
      ozoneArgs(world, uniqueTopic('ozone-metrics'), [
        '--cursor-store',
        'none',
        '--ozone-page-limit',
        String(pageLimit),
        '--ozone-max-tracked',
        '100',
        '--ozone-overlap-ms',
        '86400000',
      ]),
      atkafkaLogin(world).env,
    )
    try {
      await waitFor(
        async () => (await scraped(app, 'atkafka_produced_events', { status: 'ok' })) >= expected.length,
        'every event in Kafka',
      )
      // a second pass re-reads the overlap
      await waitFor(
        async () => (await scraped(app, 'atkafka_ozone_events_read_total', { read: 'repeat' })) > 0,
        'a pass over the overlap',
      )
      const pages = await scraped(app, 'atkafka_ozone_pages_total')
      assert.ok(
        pages >= Math.ceil(expected.length / pageLimit),
        `${pages} pages for ${expected.length} events`,
      )
      assert.equal(await scraped(app, 'atkafka_ozone_events_read_total', { read: 'new' }), expected.length)
      const tracked = await scraped(app, 'atkafka_ozone_tracked_ids')
      assert.ok(tracked > 0 && tracked <= 100, `${tracked} ids tracked, at most --ozone-max-tracked`)
      assert.ok((await scraped(app, 'atkafka_ozone_window_shortened_total')) >= 1, 'the window was cut short')
      assert.ok((await scraped(app, 'atkafka_ozone_window_seconds')) > 0)
      const status = JSON.parse((await app.http('/status.json')).body) as StatusReport
      assert.ok(status.ozone.pages >= pages)
      assert.ok(status.ozone.windowShortened >= 1)
      assert.ok(status.ozone.windowSeconds > 0)
      // every reason is on the page from the start, as on /metrics
      assert.deepEqual(Object.keys(status.ozone.requestFailures).sort(), [
        'config',
        'fatal',
        'retry',
        'session',
        'transport',
      ])
      const page = (await app.http('/')).body
      assert.match(page, /data-field="ozone\.windowSeconds"/)
    } finally {
      await app.stop()
    }

    // a PDS that does not answer: every attempt is a transport failure, counted while it retries
    const silent = await freePort()
    const down = await startApp(
      'ozone',
      ozoneArgs(world, uniqueTopic('ozone-down'), [
        '--cursor-store',
        'none',
        '--pds-host',
        `http://127.0.0.1:${silent}`,
      ]),
      atkafkaLogin(world).env,
    )
    try {
      await waitFor(
        async () =>
          (await scraped(down, 'atkafka_ozone_request_failures_total', { reason: 'transport' })) >= 2,
        'failed calls counted',
      )
      const status = JSON.parse((await down.http('/status.json')).body) as StatusReport
      assert.ok(status.ozone.requestFailures.transport >= 2)
      assert.equal(await scraped(down, 'atkafka_ozone_pages_total'), 0)
    } finally {
      await down.stop()
    }
  })

  test('a wrong password exits 2 naming the option, without the password in the output', async () => {
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin', 'atkafka.js'),
        'ozone-events',
        ...ozoneArgs(world, uniqueTopic('ozone-bad'), [
          '--bootstrap-servers',
          brokerEnv().bootstrap,
          '--metrics-address',
          `127.0.0.1:${port}`,
          '--cursor-store',
          'none',
        ]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ATKAFKA_OZONE_PASSWORD: 'hunter2-wrong' } },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    assert.equal(code, 2, out)
    assert.match(out, /ATKAFKA_OZONE_PASSWORD/)
    assert.match(out, /Invalid identifier or password/)
    assert.ok(!out.includes('hunter2-wrong'), 'the password is not in the output')
  })
})
