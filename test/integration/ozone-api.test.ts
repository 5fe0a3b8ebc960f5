// What atkafka's ozone-events mode relies on, checked against the real services it talks to: a
// real Ozone (@atproto/ozone on PostgreSQL) behind a real PDS that proxies to it. If an
// upgrade of either changes one of these facts, this file says which one.
// docs/ozone.md lists them, with what surprised us.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { type ModEventView, type PdsSession, repoRef } from '../helpers/ozone-driver.ts'
import { type OzoneWorld, startOzoneWorld } from '../helpers/ozone-world.ts'
import { XrpcError } from '../helpers/pds-client.ts'

const rejects = async (p: Promise<unknown>, status: number, error: string, message?: RegExp) => {
  const err = await p.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof XrpcError, String(err))
  assert.equal(err.status, status, err.message)
  assert.equal(err.error, error, err.message)
  if (message) assert.match(err.message, message)
}

describe('Ozone queryEvents through the PDS proxy (real Ozone + PDS)', () => {
  let world: OzoneWorld
  let mod: PdsSession
  before(async () => {
    world = await startOzoneWorld()
    mod = await world.login(world.moderator)
  })
  after(() => world?.stop())

  test('events come back as ModEventView; default order is newest first; asc on request', async () => {
    const [a, b] = world.users
    const e1 = await world.driver.comment(mod, repoRef(a!.did), 'first')
    const e2 = await world.driver.comment(mod, repoRef(b!.did), 'second')
    assert.ok(e2.id > e1.id)
    const byDefault = await world.driver.queryEvents(mod, { limit: 2 })
    assert.deepEqual(
      byDefault.events.map((e) => e.id),
      [e2.id, e1.id],
    )
    const asc = await world.driver.queryEvents(mod, { sortDirection: 'asc', limit: 100 })
    const ids = asc.events.map((e) => e.id)
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
    )
    // what emitEvent returned is what queryEvents returns (the AppView is unreachable here:
    // Ozone leaves out the optional handles then)
    const seen = asc.events.find((e) => e.id === e1.id)
    assert.deepEqual(seen, e1)
    assert.deepEqual(Object.keys(e1).sort(), [
      'createdAt',
      'createdBy',
      'event',
      'id',
      'subject',
      'subjectBlobCids',
    ])
    assert.equal(e1.subject.$type, 'com.atproto.admin.defs#repoRef')
  })

  test('limit is 1..100', async () => {
    await rejects(world.driver.queryEvents(mod, { limit: 0 }), 400, 'InvalidRequest', /minimum 1/)
    await rejects(world.driver.queryEvents(mod, { limit: 101 }), 400, 'InvalidRequest', /maximum 100/)
    await world.driver.queryEvents(mod, { limit: 100 })
  })

  test('the response cursor is "<createdAt ms>::<id>" of the last row, strictly after it; none on an empty page', async () => {
    const user = world.users[2]!
    for (let i = 0; i < 5; i++) await world.driver.comment(mod, repoRef(user.did), `page ${i}`)
    const all = await world.driver.allEvents(mod)
    const first = await world.driver.queryEvents(mod, { sortDirection: 'asc', limit: 3 })
    const last = first.events.at(-1)!
    assert.equal(first.cursor, `${Date.parse(last.createdAt)}::${last.id}`)
    const second = await world.driver.queryEvents(mod, {
      sortDirection: 'asc',
      limit: 3,
      cursor: first.cursor,
    })
    assert.deepEqual(
      second.events.map((e) => e.id),
      all.slice(3, 6).map((e) => e.id),
    )
    // a short last page still has a cursor; the empty page after it has none
    const tail = all.at(-1)!
    const end = await world.driver.queryEvents(mod, {
      sortDirection: 'asc',
      cursor: `${Date.parse(tail.createdAt)}::${tail.id}`,
    })
    assert.deepEqual(end, { events: [] })
    // the cursor is accepted in either direction and with any id
    const before = await world.driver.queryEvents(mod, {
      sortDirection: 'asc',
      cursor: `${Date.parse(tail.createdAt)}::${tail.id - 1}`,
    })
    assert.deepEqual(
      before.events.map((e) => e.id),
      [tail.id],
    )
  })

  test('a cursor that is not "<ms>::<id>" answers InvalidRequest "Malformed cursor"', async () => {
    for (const cursor of ['garbage', 'a::b', '1::2::3', '::5']) {
      await rejects(
        world.driver.queryEvents(mod, { sortDirection: 'asc', cursor }),
        400,
        'InvalidRequest',
        /Malformed cursor/,
      )
    }
  })

  test('createdAfter is inclusive and compared as text: only Date#toISOString() form is safe', async () => {
    const user = world.users[3]!
    // an event whose createdAt has a non-zero fraction of a second
    let e: ModEventView
    do e = await world.driver.comment(mod, repoRef(user.did), 'timing')
    while (e.createdAt.endsWith('.000Z'))
    const ids = async (createdAfter: string) =>
      (await world.driver.queryEvents(mod, { sortDirection: 'asc', createdAfter, limit: 100 })).events.map(
        (x) => x.id,
      )
    // inclusive: createdAfter = the event's own createdAt returns it
    assert.ok((await ids(e.createdAt)).includes(e.id))
    // the same instant minus its fraction, written two ways: ISO with .000 finds the event,
    // the form Go's RFC3339Nano writes for a whole second ("…:SSZ") does not ('.' < 'Z')
    const second = `${e.createdAt.slice(0, 19)}`
    assert.ok((await ids(`${second}.000Z`)).includes(e.id))
    assert.ok(!(await ids(`${second}Z`)).includes(e.id), 'text comparison: …:SS.mmmZ < …:SSZ')
  })

  test('an event that commits late becomes visible behind events already read', async () => {
    const [a, b] = world.users
    // a subject status row for a exists after its first event; holding it blocks the next
    // emitEvent on a inside its transaction, after createdAt and the id were assigned
    await world.driver.comment(mod, repoRef(a!.did), 'status row')
    const release = await world.pg.holdTransaction(
      `SELECT 1 FROM ozone.moderation_subject_status WHERE did = '${a!.did}' FOR UPDATE`,
    )
    const late = world.driver.comment(mod, repoRef(a!.did), 'late')
    await new Promise((r) => setTimeout(r, 300))
    const early = await world.driver.comment(mod, repoRef(b!.did), 'early')
    const tip = await world.driver.queryEvents(mod, { limit: 1 })
    assert.equal(tip.events[0]?.id, early.id, 'the blocked event is not visible yet')
    const cursor = tip.cursor!
    await release()
    const lateEvent = await late
    assert.ok(lateEvent.createdAt < early.createdAt, 'createdAt was stamped before the block')
    assert.ok(lateEvent.id < early.id, 'the id too')
    // a reader that moves forward from the tip never sees it
    const after = await world.driver.queryEvents(mod, { sortDirection: 'asc', cursor })
    assert.ok(!after.events.some((x) => x.id === lateEvent.id))
    // re-reading a window behind the tip does
    const window = await world.driver.queryEvents(mod, {
      sortDirection: 'asc',
      createdAfter: new Date(Date.parse(lateEvent.createdAt) - 1000).toISOString(),
    })
    assert.ok(window.events.some((x) => x.id === lateEvent.id))
  })

  test('a burst of concurrent actions: hundreds of events, many sharing one createdAt', async () => {
    const mods = [mod, await world.login(world.moderator2)]
    const n = 300
    const t0 = Date.now()
    // through the PDS, 32 calls at a time (hundreds at once overload one local PDS)
    const views: ModEventView[] = []
    let next = 0
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        views.push(
          await world.driver.comment(
            mods[i % 2]!,
            repoRef(world.users[i % world.users.length]!.did),
            `burst ${i}`,
          ),
        )
      }
    }
    await Promise.all(Array.from({ length: 32 }, worker))
    const byMs = new Map<string, number>()
    for (const v of views) byMs.set(v.createdAt, (byMs.get(v.createdAt) ?? 0) + 1)
    const shared = [...byMs.values()].filter((c) => c > 1).length
    process.stderr.write(
      `burst: ${n} events in ${Date.now() - t0} ms, ${byMs.size} distinct createdAt, ${shared} shared by 2+\n`,
    )
    assert.ok(shared > 0, 'some events share a millisecond')
    // the response cursor pages through all of them, each once
    const all = await world.driver.allEvents(mod)
    const ids = all.map((e) => e.id)
    assert.equal(new Set(ids).size, ids.length)
    for (const v of views) assert.ok(ids.includes(v.id))
  })

  test('errors: no proxy header, a DID that is not a labeler, an unknown DID, not a moderator, a wrong password', async () => {
    // without the header the PDS sends the call to its own default moderation service
    // (unreachable here: https://moderator.invalid)
    await rejects(
      world.driver.call('tools.ozone.moderation.queryEvents', { token: mod.accessJwt }),
      502,
      'UpstreamFailure',
    )
    await rejects(
      world.driver.call('tools.ozone.moderation.queryEvents', {
        token: mod.accessJwt,
        proxy: `${world.users[0]!.did}#atproto_labeler`,
      }),
      400,
      'InvalidRequest',
      /could not resolve proxy did service url/,
    )
    await rejects(
      world.driver.call('tools.ozone.moderation.queryEvents', {
        token: mod.accessJwt,
        proxy: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#atproto_labeler',
      }),
      400,
      'InvalidRequest',
      /could not resolve proxy did/,
    )
    const user = await world.login(world.users[0]!)
    await rejects(world.driver.queryEvents(user), 401, 'AuthenticationRequired', /not a moderator/)
    await rejects(
      world.driver.login(world.moderator.handle, 'wrong'),
      401,
      'AuthenticationRequired',
      /Invalid identifier or password/,
    )
    // an app password logs in like the account password
    const app = await world.driver.login(world.moderator.handle, world.moderator.appPassword!)
    await world.driver.queryEvents(app, { limit: 1 })
  })

  test('Ozone restarted on the same database: same labeler, same events', async () => {
    const before = await world.driver.allEvents(mod)
    await world.ozone.stop()
    await rejects(world.driver.queryEvents(mod, { limit: 1 }), 502, 'UpstreamFailure')
    await world.ozone.start()
    const again = await world.driver.allEvents(mod)
    assert.deepEqual(again, before)
  })
})

describe('PDS sessions (real PDS, short-lived tokens)', () => {
  let pds: LocalPds
  const password = 'sessions-password'
  let did: string
  const call = async (method: string, opts: { token?: string; body?: unknown } = {}) => {
    const res = await fetch(`${pds.pdsUrl}/xrpc/${method}`, {
      method: opts.body === undefined && method.includes('get') ? 'GET' : 'POST',
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    })
    return { status: res.status, body: (await res.json()) as Record<string, string> }
  }
  before(async () => {
    pds = await startLocalPds({ accessTokenTtl: '2s', refreshTokenTtl: '5s' })
    const created = await call('com.atproto.server.createAccount', {
      body: { handle: 'tokenholder.test', email: 'tokenholder@example.com', password },
    })
    assert.equal(created.status, 200, JSON.stringify(created.body))
    did = created.body.did!
  })
  after(() => pds?.stop())

  test('an expired access token answers 400 ExpiredToken; refresh rotates the refresh token', async () => {
    const login = await call('com.atproto.server.createSession', {
      body: { identifier: 'tokenholder.test', password },
    })
    assert.equal(login.status, 200)
    const exp = JSON.parse(Buffer.from(login.body.accessJwt!.split('.')[1]!, 'base64url').toString()) as {
      exp: number
      iat: number
    }
    assert.equal(exp.exp - exp.iat, 2)
    const ok = await call('com.atproto.server.getSession', { token: login.body.accessJwt })
    assert.equal(ok.status, 200)
    await new Promise((r) => setTimeout(r, 3100))
    const expired = await call('com.atproto.server.getSession', { token: login.body.accessJwt })
    assert.equal(expired.status, 400)
    assert.equal(expired.body.error, 'ExpiredToken')
    // the refresh token (5 s) still works: a new pair, a new refresh token
    const refreshed = await call('com.atproto.server.refreshSession', { token: login.body.refreshJwt })
    assert.equal(refreshed.status, 200)
    assert.equal(refreshed.body.did, did)
    assert.notEqual(refreshed.body.refreshJwt, login.body.refreshJwt)
    // the old refresh token once more (within the PDS's reuse grace): accepted, same next token id
    const reused = await call('com.atproto.server.refreshSession', { token: login.body.refreshJwt })
    const jti = (t: string) =>
      (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti
    assert.equal(reused.status, 200)
    assert.equal(jti(reused.body.refreshJwt!), jti(refreshed.body.refreshJwt!))
    // an access token in the refresh slot is refused (the Go original's mistake)
    const wrongSlot = await call('com.atproto.server.refreshSession', { token: refreshed.body.accessJwt })
    assert.equal(wrongSlot.status, 400)
    assert.equal(wrongSlot.body.error, 'InvalidToken')
    // once the refresh token expired too, only a new login helps
    await new Promise((r) => setTimeout(r, 5100))
    const dead = await call('com.atproto.server.refreshSession', { token: refreshed.body.refreshJwt })
    assert.equal(dead.status, 400)
    assert.equal(dead.body.error, 'ExpiredToken')
    const again = await call('com.atproto.server.createSession', {
      body: { identifier: 'tokenholder.test', password },
    })
    assert.equal(again.status, 200)
  })
})
