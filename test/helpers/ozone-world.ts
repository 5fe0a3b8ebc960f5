// The whole real moderation world of the ozone-events tests, all on this machine: a local PLC +
// PDS (moderators and users are accounts there), a throwaway PostgreSQL cluster, and a real
// Ozone whose labeler DID publishes `#atproto_labeler` on the PLC, so the PDS really proxies
// to it. stop() ends every process it started (also when the test process dies: each child
// watches its parent, the cluster has a watchdog).
import { type LocalOzone, startLocalOzone } from './local-ozone.ts'
import { type LocalPds, type StartLocalPdsOptions, startLocalPds } from './local-pds.ts'
import { type ModEventView, OzoneDriver, type PdsSession, repoRef, type Subject } from './ozone-driver.ts'
import { PdsClient } from './pds-client.ts'
import { type PgCluster, startPgCluster } from './pg-cluster.ts'

interface Account {
  did: string
  handle: string
  password: string
  /** an app password of the account (what a labeler would give atkafka) */
  appPassword?: string
}

export interface OzoneWorld extends AsyncDisposable {
  readonly pds: LocalPds
  readonly pg: PgCluster
  readonly ozone: LocalOzone
  readonly driver: OzoneDriver
  /** the Ozone moderator atkafka logs in as */
  readonly moderator: Account
  /** a second moderator (an action by another team member) */
  readonly moderator2: Account
  /** accounts to report and act on */
  readonly users: Account[]
  login(account: Account): Promise<PdsSession>
  stop(): Promise<void>
}

export interface StartOzoneWorldOptions {
  /** how many user accounts (default 4) */
  users?: number
  accessTokenTtl?: StartLocalPdsOptions['accessTokenTtl']
  refreshTokenTtl?: StartLocalPdsOptions['refreshTokenTtl']
}

export async function startOzoneWorld(opts: StartOzoneWorldOptions = {}): Promise<OzoneWorld> {
  const started: { stop(): Promise<void> }[] = []
  try {
    const [pds, pg] = await Promise.all([
      startLocalPds({ accessTokenTtl: opts.accessTokenTtl, refreshTokenTtl: opts.refreshTokenTtl }),
      startPgCluster(),
    ])
    started.push(pds, pg)
    const client = new PdsClient(pds.pdsUrl)
    const create = async (name: string): Promise<Account> => {
      const password = `${name}-password`
      const { did, handle } = await client.createAccount(`${name}.test`, { password })
      return { did, handle, password }
    }
    const moderator = await create('mod')
    const moderator2 = await create('mod2')
    const users: Account[] = []
    for (let i = 0; i < (opts.users ?? 4); i++) users.push(await create(`user${i}`))
    const ozone = await startLocalOzone({
      plcUrl: pds.plcUrl,
      dbUrl: pg.url,
      moderatorDids: [moderator.did, moderator2.did],
    })
    started.push(ozone)
    const driver = new OzoneDriver(pds.pdsUrl, ozone.serverDid)
    // an app password for atkafka, as a labeler would hand it out
    const modSession = await driver.login(moderator.handle, moderator.password)
    const app = await driver.call<{ password: string }>('com.atproto.server.createAppPassword', {
      token: modSession.accessJwt,
      body: { name: 'atkafka' },
    })
    moderator.appPassword = app.password
    let stopping: Promise<void> | undefined
    const stop = () => {
      stopping ??= (async () => {
        ozone.thaw()
        await ozone.stop()
        await Promise.all([pds.stop(), pg.stop()])
      })()
      return stopping
    }
    return {
      pds,
      pg,
      ozone,
      driver,
      moderator,
      moderator2,
      users,
      login: (account) => driver.login(account.handle, account.password),
      stop,
      [Symbol.asyncDispose]: stop,
    }
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => {})
    throw err
  }
}

/**
 * How atkafka ozone-events logs in to this world as its moderator: the flags, and the app
 * password by environment, as in production (flags are visible in ps).
 */
export function atkafkaLogin(world: OzoneWorld): { args: string[]; env: Record<string, string> } {
  return {
    args: [
      '--pds-host',
      world.pds.pdsUrl,
      '--identifier',
      world.moderator.handle,
      '--labeler-did',
      world.ozone.serverDid,
    ],
    env: { ATKAFKA_OZONE_PASSWORD: world.moderator.appPassword! },
  }
}

/** a mixed bag of real moderation actions, as a day of a labeler's team could bring */
export async function emitMixedEvents(world: OzoneWorld, rounds = 1): Promise<void> {
  const { driver, users } = world
  const mod = await world.login(world.moderator)
  const mod2 = await world.login(world.moderator2)
  const reporter = await world.login(users[0]!)
  for (let r = 0; r < rounds; r++) {
    for (const user of users.slice(1)) {
      const s: Subject = repoRef(user.did)
      await driver.report(reporter, s, 'com.atproto.moderation.defs#reasonSpam', `spam ${r}`)
      await driver.comment(mod, s, `looking at ${user.handle} (${r})`)
      await driver.escalate(mod2, s)
      await driver.label(mod, s, ['spam'])
      await driver.tag(mod2, s, [`round-${r}`])
      await driver.mute(mod, s, 1)
      await driver.unmute(mod, s)
      await driver.takedown(mod2, s, `takedown ${r}`)
      await driver.reverseTakedown(mod, s)
      await driver.label(mod, s, [], ['spam'])
      await driver.acknowledge(mod2, s)
    }
    await driver.muteReporter(mod, users[0]!.did, 1)
  }
}

/**
 * `count` comment events straight at Ozone (admin auth), `concurrency` at a time, spread over
 * the users: how a burst or a backlog is made quickly. Resolves the views in id order.
 */
export async function emitBurst(
  world: OzoneWorld,
  count: number,
  concurrency = 32,
  label = 'burst',
): Promise<ModEventView[]> {
  const views: ModEventView[] = []
  let next = 0
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const user = world.users[i % world.users.length]!
      views.push(
        await world.driver.emitDirect(
          world.ozone,
          world.moderator.did,
          {
            $type: 'tools.ozone.moderation.defs#modEventComment',
            comment: `${label} ${i}`,
          },
          repoRef(user.did),
        ),
      )
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return views.sort((a, b) => a.id - b.id)
}
