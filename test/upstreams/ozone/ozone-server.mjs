// A real Ozone moderation service (@atproto/ozone, its data in PostgreSQL) for atkafka's
// ozone-events tests. It runs next to the local PLC + PDS of ../pds (pds-server.mjs): the
// labeler DID is a did:plc on that PLC whose document publishes an `#atproto_labeler` service
// (this server's URL) and an `atproto_label` key, so a moderator's PDS can proxy
// `tools.ozone.*` calls to it (header `atproto-proxy: <labeler did>#atproto_labeler`).
//
// Usage: node ozone-server.mjs --plc-url URL --db-url URL [--db-schema NAME] [--port N]
//          [--moderator-did DID]… [--admin-did DID]… [--triage-did DID]…
//          [--server-did DID --signing-key-hex HEX] [--ignore-stdin]
// Without --server-did a new labeler DID is created on the PLC (its service endpoint is
// http://localhost:<port>, so give --port, or take the one printed, to restart it on the
// same DID later). With --server-did and --signing-key-hex (from an earlier ready line) it
// comes back as the same labeler on the same database: that is how a test restarts Ozone.
//
// Prints exactly one JSON line on stdout once it answers:
//   {"ready":true,"url":"http://localhost:P","port":P,"serverDid":"did:plc:…",
//    "signingKeyHex":"…","adminPassword":"…","pid":…,"startMs":…}
// Stops on SIGTERM/SIGINT, when its stdin closes (unless --ignore-stdin), and when its parent
// dies (re-parenting is polled), so no orphan survives a killed test run. The database is the
// caller's (a throwaway cluster from scripts/pg-cluster.sh): nothing is removed here.
// The AppView is an unreachable address: Ozone then leaves the handles out of its views
// (`subjectHandle`, `creatorHandle` are optional), as it does when its AppView fails.
import { parseArgs } from 'node:util'
import { freePort, logsToStderr, printReady, stopWithParent } from '../lifecycle.mjs'

const t0 = performance.now()
const { values: opts } = parseArgs({
  options: {
    'plc-url': { type: 'string' },
    'db-url': { type: 'string' },
    'db-schema': { type: 'string', default: 'ozone' },
    port: { type: 'string' },
    'moderator-did': { type: 'string', multiple: true, default: [] },
    'admin-did': { type: 'string', multiple: true, default: [] },
    'triage-did': { type: 'string', multiple: true, default: [] },
    'server-did': { type: 'string' },
    'signing-key-hex': { type: 'string' },
    'ignore-stdin': { type: 'boolean', default: false },
  },
})
if (!opts['plc-url'] || !opts['db-url']) {
  console.error('ozone-server: --plc-url and --db-url are required')
  process.exit(2)
}
if (Boolean(opts['server-did']) !== Boolean(opts['signing-key-hex'])) {
  console.error('ozone-server: --server-did and --signing-key-hex go together')
  process.exit(2)
}

logsToStderr()

let server
const stop = stopWithParent({
  name: 'ozone-server',
  ignoreStdin: opts['ignore-stdin'],
  cleanup: () => server?.destroy().catch((e) => console.error('ozone-server: destroy', e)),
})

/** A did:plc whose document makes it a labeler served at `endpoint`. */
async function createLabelerDid(plcUrl, keypair, endpoint) {
  const plc = await import('@did-plc/lib')
  const op = await plc.signOperation(
    {
      type: 'plc_operation',
      alsoKnownAs: [],
      rotationKeys: [keypair.did()],
      verificationMethods: { atproto_label: keypair.did() },
      services: { atproto_labeler: { type: 'AtprotoLabeler', endpoint } },
      prev: null,
    },
    keypair,
  )
  const did = await plc.didForCreateOp(op)
  await new plc.Client(plcUrl).sendOperation(did, op)
  return did
}

try {
  const ozone = await import('@atproto/ozone')
  const { Secp256k1Keypair } = await import('@atproto/crypto')
  const tImported = performance.now()

  const keypair = opts['signing-key-hex']
    ? await Secp256k1Keypair.import(opts['signing-key-hex'], { exportable: true })
    : await Secp256k1Keypair.create({ exportable: true })
  const signingKeyHex = Buffer.from(await keypair.export()).toString('hex')
  const port = Number(opts.port ?? 0) || (await freePort())
  const url = `http://localhost:${port}`
  const serverDid = opts['server-did'] ?? (await createLabelerDid(opts['plc-url'], keypair, url))
  const adminPassword = 'ozone-admin-pass'

  const migrationDb = new ozone.Database({ schema: opts['db-schema'], url: opts['db-url'] })
  await migrationDb.migrateToLatestOrThrow()
  await migrationDb.close()

  const env = {
    devMode: true,
    version: '0.0.0',
    port,
    publicUrl: url,
    serverDid,
    signingKeyHex,
    adminPassword,
    didPlcUrl: opts['plc-url'],
    dbPostgresUrl: opts['db-url'],
    dbPostgresSchema: opts['db-schema'],
    // nothing listens on port 9 of the loopback: Ozone's AppView calls fail at once
    appviewUrl: 'http://127.0.0.1:9',
    appviewDid: 'did:example:appview-invalid',
    adminDids: opts['admin-did'],
    moderatorDids: opts['moderator-did'],
    triageDids: opts['triage-did'],
  }
  server = await ozone.OzoneService.create(ozone.envToCfg(env), ozone.envToSecrets(env))
  await server.start()

  const health = await fetch(`${url}/xrpc/_health`)
  if (!health.ok) throw new Error(`Ozone health check answered ${health.status}`)

  printReady({ url, port, serverDid, signingKeyHex, adminPassword }, { t0, tImported })
} catch (err) {
  console.error('ozone-server: failed to start:', err)
  await stop(1)
}
