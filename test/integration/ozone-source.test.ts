// The ozone-events source (no Kafka here: each delivery is acked as it arrives) against a
// real Ozone on PostgreSQL behind a real PDS: backlogs, late commits, bursts sharing one
// millisecond, restarts from a saved position, Ozone and the PDS going away, expiring
// sessions, and the configuration errors a labeler can make.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { createMetrics, type Metrics } from '../../src/app-metrics.ts'
import { ConfigError } from '../../src/errors.ts'
import type { ModerationEvent } from '../../src/events/atproto-event.ts'
import {
  formatOzonePosition,
  type OzonePosition,
  parseOzonePosition,
} from '../../src/sources/ozone/ozone-position.ts'
import {
  createOzoneSource,
  type OzoneSource,
  type OzoneSourceConfig,
} from '../../src/sources/ozone/ozone-source.ts'
import { type ModEventView, repoRef } from '../helpers/ozone-driver.ts'
import { emitBurst, emitMixedEvents, type OzoneWorld, startOzoneWorld } from '../helpers/ozone-world.ts'

const logger = pino({ level: process.env.ATKAFKA_TEST_LOG_LEVEL ?? 'silent' })

function sourceConfig(world: OzoneWorld, over: Partial<OzoneSourceConfig> = {}): OzoneSourceConfig {
  return {
    pdsHost: world.pds.pdsUrl,
    identifier: world.moderator.handle,
    password: world.moderator.appPassword!,
    labelerDid: world.ozone.serverDid,
    pollIntervalMs: 200,
    overlapMs: 3000,
    maxTracked: 100_000,
    pageLimit: 100,
    requestTimeoutMs: 5000,
    retryMinMs: 100,
    retryMaxMs: 1000,
    giveUpAfterMs: 0,
    key: 'subject-did',
    ...over,
  }
}

/** a source for this world's moderator and labeler (test settings, `over` on top) */
function openSource(
  world: OzoneWorld,
  over: Partial<OzoneSourceConfig> = {},
  metrics: Metrics = createMetrics(),
): OzoneSource {
  return createOzoneSource(sourceConfig(world, over), { metrics, logger })
}

/** the position after `events` (all there is, oldest first), as saved once Kafka held them all */
function positionAfter(events: readonly ModEventView[]): OzonePosition {
  const tip = events.at(-1)!
  return {
    createdAfter: tip.createdAt,
    seen: events.filter((e) => e.createdAt >= tip.createdAt).map((e) => e.id),
  }
}

/** runs a source (from `opts.start`), acking every delivery at once, until `done` says so */
async function run(
  source: OzoneSource,
  done: (events: ModerationEvent[]) => boolean,
  opts: {
    timeoutMs?: number
    start?: OzonePosition
    during?: (events: ModerationEvent[]) => Promise<void>
  } = {},
): Promise<ModerationEvent[]> {
  const events: ModerationEvent[] = []
  const stop = new AbortController()
  const timer = setTimeout(() => stop.abort(new Error('timeout')), opts.timeoutMs ?? 60_000)
  const during = opts.during?.(events)
  try {
    for await (const d of source.deliveries(stop.signal, opts.start)) {
      events.push(...(d.events as ModerationEvent[]))
      d.ack()
      if (done(events)) break
    }
  } finally {
    clearTimeout(timer)
  }
  await during
  if (stop.signal.aborted) throw new Error(`source did not finish in time; got ${events.length} events`)
  return events
}

const ids = (events: readonly { id: number }[]) => events.map((e) => e.id)
const dupes = (list: number[]) => list.filter((id, i) => list.indexOf(id) !== i)
const has = (events: readonly { id: number }[], id: number | undefined) =>
  id !== undefined && events.some((e) => e.id === id)

/** resolves once the source has produced event `id` into `events` */
async function produced(events: readonly ModerationEvent[], id: number): Promise<void> {
  while (!has(events, id)) await sleep(50)
}

/** `count` comments, one a second, each by a fresh login of the moderator; their ids into `emitted` */
async function commentEverySecond(world: OzoneWorld, count: number, emitted: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const mod = await world.login(world.moderator)
    emitted.push((await world.driver.comment(mod, repoRef(world.users[0]!.did), `tick ${i}`)).id)
    await sleep(1000)
  }
}

describe('ozone-events source against a real Ozone', () => {
  let world: OzoneWorld
  before(async () => {
    world = await startOzoneWorld()
    await emitMixedEvents(world, 2)
  })
  after(() => world?.stop())

  test('drains the backlog: every event once, in order, the view exactly as queryEvents returns it', async () => {
    const mod = await world.login(world.moderator)
    const expected = await world.driver.allEvents(mod)
    assert.ok(expected.length >= 60, `backlog of ${expected.length}`)
    const types = new Set(expected.map((e) => e.event.$type.split('#')[1]))
    for (const t of [
      'modEventReport',
      'modEventTakedown',
      'modEventLabel',
      'modEventComment',
      'modEventAcknowledge',
      'modEventEscalate',
      'modEventTag',
      'modEventMute',
      'modEventMuteReporter',
    ]) {
      assert.ok(types.has(t), `the backlog has ${t}`)
    }
    const source = openSource(world, { pageLimit: 7 })
    const got = await run(source, (evs) => evs.length >= expected.length)
    assert.deepEqual(ids(got), ids(expected))
    assert.deepEqual(
      got.map((e) => e.view),
      expected,
    )
    for (const e of got) {
      assert.equal(e.key, e.did)
      assert.equal(e.time, e.view.createdAt)
    }
    assert.equal(source.session.logins, 1)
  })

  test('a burst of hundreds of events, many in one millisecond, read in small pages across a restart', async () => {
    const mod = await world.login(world.moderator)
    // start from "everything so far produced" (a saved position), as after a restart
    const start = positionAfter(await world.driver.allEvents(mod))
    // straight at Ozone, 48 at a time: hundreds of simultaneous calls through one local PDS
    // make it answer UpstreamFailure under load
    const burst: ModEventView[] = await emitBurst(world, 400, 48)
    const sharedMs = burst.length - new Set(burst.map((e) => e.createdAt)).size
    assert.ok(sharedMs > 0, 'events share milliseconds')
    // first run: stop part way, keep the safe position; second run resumes from it
    const first = openSource(world, { pageLimit: 3 })
    const part = await run(first, (evs) => evs.length >= 150, { start })
    const saved = parseOzonePosition(formatOzonePosition(first.checkpoint()!))
    const second = openSource(world, { pageLimit: 3 })
    const rest = await run(second, (evs) => part.length + evs.length >= burst.length, { start: saved })
    const all = [...ids(part), ...ids(rest)]
    assert.deepEqual(dupes(all), [])
    assert.deepEqual(
      [...all].sort((a, b) => a - b),
      ids(burst).sort((a, b) => a - b),
    )
  })

  test('an event that commits late, behind events already produced, is produced once', async () => {
    const mod = await world.login(world.moderator)
    const [a, b] = world.users
    await world.driver.comment(mod, repoRef(a!.did), 'status row exists')
    const start = positionAfter(await world.driver.allEvents(mod))
    const source = openSource(world)
    const release = await world.pg.holdTransaction(
      `SELECT 1 FROM ozone.moderation_subject_status WHERE did = '${a!.did}' FOR UPDATE`,
    )
    const late = world.driver.comment(mod, repoRef(a!.did), 'late')
    await sleep(200)
    const early = await world.driver.comment(mod, repoRef(b!.did), 'early')
    let lateView: ModEventView | undefined
    const got = await run(source, (evs) => has(evs, lateView?.id), {
      start,
      during: async (evs) => {
        // release once the source has produced the event behind which the late one lands
        await produced(evs, early.id)
        await release()
        lateView = await late
      },
    })
    assert.ok(lateView!.createdAt < early.createdAt)
    assert.deepEqual(ids(got), [early.id, lateView!.id])
    // a few more passes over the overlap: nothing twice
    const more = openSource(world)
    const extra = await run(more, () => false, { timeoutMs: 1500, start: source.checkpoint() }).catch(
      (e: Error) => e,
    )
    assert.match(String(extra), /got 0 events/)
  })

  /**
   * One event, then `outage` once the source produced it (the service down for 1.5 s, checked
   * by `whileDown`), then another by a fresh login: the source goes on and produces both, once.
   */
  async function acrossOutage(
    source: OzoneSource,
    outage: { down: () => Promise<void>; up: () => Promise<void>; whileDown?: () => void },
  ): Promise<void> {
    const mod = await world.login(world.moderator)
    const start = positionAfter(await world.driver.allEvents(mod))
    const first = await world.driver.comment(mod, repoRef(world.users[1]!.did), 'before the outage')
    let second: ModEventView | undefined
    const got = await run(source, (evs) => has(evs, second?.id), {
      start,
      during: async (evs) => {
        await produced(evs, first.id)
        await outage.down()
        await sleep(1500)
        outage.whileDown?.()
        await outage.up()
        second = await world.driver.comment(
          await world.login(world.moderator),
          repoRef(world.users[2]!.did),
          'after the outage',
        )
      },
    })
    assert.deepEqual(ids(got), [first.id, second!.id])
  }

  test('Ozone stopped and started mid-run: the source waits, retries, and goes on', async () => {
    const metrics = createMetrics()
    const source = openSource(world, {}, metrics)
    await acrossOutage(source, {
      down: () => world.ozone.stop(),
      up: () => world.ozone.start(),
      whileDown: () => assert.equal(source.connected, false),
    })
    assert.ok(metrics.snapshot().reconnects >= 1, 'counted as a reconnect')
  })

  test('the PDS stopped and started mid-run: the source retries and goes on with its session', async () => {
    await acrossOutage(openSource(world), { down: () => world.pds.pause(), up: () => world.pds.resume() })
  })

  test('configuration errors name the option: wrong password, not a labeler, not a moderator', async () => {
    const cases: [Partial<OzoneSourceConfig>, RegExp][] = [
      [
        { password: 'not-the-password' },
        /--identifier .*--password .*ATKAFKA_OZONE_PASSWORD.*refused the login.*Invalid identifier or password/,
      ],
      [
        { labelerDid: world.users[0]!.did },
        /--labeler-did .*ATKAFKA_OZONE_LABELER_DID.*is not a labeler.*#atproto_labeler/,
      ],
      [{ labelerDid: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }, /--labeler-did .*cannot resolve did:plc:a+/],
      [
        { identifier: world.users[0]!.handle, password: world.users[0]!.password },
        /--identifier .*may not read the moderation events.*not a moderator/,
      ],
    ]
    for (const [over, message] of cases) {
      const source = openSource(world, over)
      const err = await run(source, () => true, { timeoutMs: 20_000 }).then(
        () => assert.fail('expected a ConfigError'),
        (e: unknown) => e,
      )
      assert.ok(err instanceof ConfigError, String(err))
      assert.match(err.message, message)
      assert.ok(!err.message.includes(world.moderator.appPassword!), 'the password is never in an error')
      assert.ok(!err.message.includes('not-the-password'))
    }
  })
})

describe('ozone-events source: sessions that expire (real PDS, short-lived tokens)', () => {
  test('access tokens refreshed before they expire; a refused refresh falls back to a new login', async () => {
    // access tokens live 3 s; refresh tokens 1 s: every renewal finds the refresh token dead
    await using world = await startOzoneWorld({ users: 2, accessTokenTtl: '3s', refreshTokenTtl: '1s' })
    const source = openSource(world, { pollIntervalMs: 300 })
    const emitted: number[] = []
    const got = await run(source, (evs) => emitted.length === 8 && emitted.every((id) => has(evs, id)), {
      during: () => commentEverySecond(world, 8, emitted),
    })
    assert.deepEqual(ids(got), emitted)
    assert.ok(source.session.logins >= 3, `logins ${source.session.logins}`)
  })

  test('with a live refresh token, renewals are refreshes (rotating the refresh token)', async () => {
    await using world = await startOzoneWorld({ users: 2, accessTokenTtl: '3s', refreshTokenTtl: '1h' })
    const source = openSource(world, { pollIntervalMs: 300 })
    const emitted: number[] = []
    await run(source, (evs) => emitted.length === 6 && emitted.every((id) => has(evs, id)), {
      during: () => commentEverySecond(world, 6, emitted),
    })
    assert.equal(source.session.logins, 1)
    assert.ok(source.session.refreshes >= 2, `refreshes ${source.session.refreshes}`)
  })
})
