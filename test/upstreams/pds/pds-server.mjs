// A real, offline AT Protocol world for atkafka's tests: a PLC directory (@did-plc/server,
// in-memory DB) and a PDS (@atproto/pds, SQLite files in a temp dir). Nothing here talks to
// anything but 127.0.0.1/localhost: the AppView and moderation hosts are unreachable
// `*.invalid` names, there are no crawlers, and handles live under `.test`.
//
// Usage: node pds-server.mjs [--pds-port N] [--plc-port N] [--extra-pds N] [--ignore-stdin]
//        (ports may also be given positionally: [pdsPort] [plcPort]; 0 or absent = a free port)
// --extra-pds N starts N more PDSes on the same PLC, each on its own host name so that DID
// documents tell them apart: 127.0.0.1, 127.0.0.2, … (http://127.0.0.K:<port>), handles under
// .pdsK.test (K = 2, 3, …). They are listed in the ready line as `extraPds`.
//
// Prints exactly one JSON line on stdout once both servers answer:
//   {"ready":true,"pdsUrl":"http://localhost:P","plcUrl":"http://localhost:Q",
//    "firehoseUrl":"ws://localhost:P/xrpc/com.atproto.sync.subscribeRepos",
//    "adminPassword":"…","dataDir":"…","pid":…,"startMs":…}
// Stops (removing its temp dir) on SIGTERM/SIGINT, when its stdin closes (unless
// --ignore-stdin: the parent holds the other end, so a killed parent closes it), and when its
// parent process dies (re-parenting is polled), so no orphan survives a killed test run.
// Logs (LOG_ENABLED=true) go to stderr so that stdout carries only the ready line.
// SIGUSR1 stops the (first) PDS, closing its port, and SIGUSR2 starts it again on the same
// port, data and secrets (the PLC stays up): a test's "PDS down, PDS back". Each prints one
// JSON line on stdout when done: {"paused":true} / {"resumed":true}.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, logsToStderr, printReady, stopWithParent } from '../lifecycle.mjs'

const t0 = performance.now()
const { values: opts, positionals } = parseArgs({
  options: {
    'pds-port': { type: 'string' },
    'plc-port': { type: 'string' },
    'extra-pds': { type: 'string' },
    'ignore-stdin': { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
const wantPdsPort = Number(opts['pds-port'] ?? positionals[0] ?? 0)
const wantPlcPort = Number(opts['plc-port'] ?? positionals[1] ?? 0)
if (!Number.isInteger(wantPdsPort) || !Number.isInteger(wantPlcPort)) {
  console.error('pds-server: ports must be integers')
  process.exit(2)
}

logsToStderr()

let dataDir
let plcServer
let pds
const extraPdses = []
const stop = stopWithParent({
  name: 'pds-server',
  ignoreStdin: opts['ignore-stdin'],
  cleanup: async () => {
    for (const extra of extraPdses)
      await extra.destroy().catch((e) => console.error('pds-server: pds.destroy', e))
    await pds?.destroy().catch((e) => console.error('pds-server: pds.destroy', e))
    await plcServer?.destroy().catch((e) => console.error('pds-server: plc.destroy', e))
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true }).catch(() => {})
  },
})

/** Removes the data dirs of earlier servers that were killed outright (SIGKILL). */
async function sweepStaleDataDirs() {
  const entries = await fs.readdir(os.tmpdir()).catch(() => [])
  for (const name of entries) {
    const pid = Number(/^atkafka-pds-(\d+)-/.exec(name)?.[1])
    if (!pid || pid === process.pid || isAlive(pid)) continue
    await fs.rm(path.join(os.tmpdir(), name), { recursive: true, force: true }).catch(() => {})
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

try {
  const plcMod = await import('@did-plc/server')
  const plc = plcMod.default?.PlcServer ? plcMod.default : plcMod
  const { PDS, envToCfg, envToSecrets } = await import('@atproto/pds')
  const { Secp256k1Keypair } = await import('@atproto/crypto')
  const tImported = performance.now()

  await sweepStaleDataDirs()
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `atkafka-pds-${process.pid}-`))

  plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: wantPlcPort })
  const plcHttp = await plcServer.start()
  const plcPort = plcHttp.address().port
  const plcUrl = `http://localhost:${plcPort}`

  const adminPassword = 'admin-pass'
  const rotation = await Secp256k1Keypair.create({ exportable: true })
  const recovery = await Secp256k1Keypair.create()
  const baseEnv = {
    devMode: true,
    hostname: 'localhost',
    dataDirectory: dataDir,
    blobstoreDiskLocation: path.join(dataDir, 'blobs'),
    blobstoreDiskTmpLocation: path.join(dataDir, 'blobs-tmp'),
    didPlcUrl: plcUrl,
    recoveryDidKey: recovery.did(),
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotation.export()).toString('hex'),
    adminPassword,
    jwtSecret: crypto.randomBytes(16).toString('hex'),
    serviceHandleDomains: ['.test'],
    bskyAppViewUrl: 'https://appview.invalid',
    bskyAppViewDid: 'did:example:invalid',
    modServiceUrl: 'https://moderator.invalid',
    modServiceDid: 'did:example:invalid',
    crawlers: [],
    inviteRequired: false,
    rateLimitsEnabled: false,
    disableSsrfProtection: true,
  }

  // a chosen free port can be taken by someone else before the PDS binds it: retry then
  let pdsPort = wantPdsPort
  for (let attempt = 1; ; attempt++) {
    const port = wantPdsPort || (await freePort())
    const candidate = await PDS.fromEnv({ ...baseEnv, port })
    try {
      await candidate.start()
      pds = candidate
      pdsPort = port
      break
    } catch (err) {
      await candidate.destroy().catch(() => {})
      if (err?.code !== 'EADDRINUSE' || wantPdsPort || attempt >= 5) throw err
    }
  }
  const pdsUrl = `http://localhost:${pdsPort}`
  let toggling = Promise.resolve()
  process.on('SIGUSR1', () => {
    toggling = toggling.then(async () => {
      if (!pds) return
      const old = pds
      pds = undefined
      await old.destroy().catch((e) => console.error('pds-server: pause', e))
      process.stdout.write(`${JSON.stringify({ paused: true })}\n`)
    })
  })
  process.on('SIGUSR2', () => {
    toggling = toggling.then(async () => {
      if (pds) return
      for (let attempt = 1; ; attempt++) {
        const candidate = await PDS.fromEnv({ ...baseEnv, port: pdsPort })
        try {
          await candidate.start()
          pds = candidate
          break
        } catch (err) {
          await candidate.destroy().catch(() => {})
          // the port may linger for a moment after the close
          if (err?.code !== 'EADDRINUSE' || attempt >= 20) {
            console.error('pds-server: resume failed', err)
            return stop(1, 'resume failed')
          }
          await new Promise((r) => setTimeout(r, 250))
        }
      }
      process.stdout.write(`${JSON.stringify({ resumed: true })}\n`)
    })
  })

  const health = await fetch(`${pdsUrl}/xrpc/_health`)
  if (!health.ok) throw new Error(`PDS health check answered ${health.status}`)

  // more PDSes on the same PLC, on other loopback host names: the PDS writes https://<host>
  // into DID documents for any host but localhost, so its public URL is set by hand
  const extraPds = []
  for (let k = 2; k < 2 + Number(opts['extra-pds'] ?? 0); k++) {
    const host = `127.0.0.${k - 1}`
    const dir = path.join(dataDir, `pds${k}`)
    await fs.mkdir(dir, { recursive: true })
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const env = {
        ...baseEnv,
        port,
        hostname: host,
        serviceHandleDomains: [`.pds${k}.test`],
        dataDirectory: dir,
        blobstoreDiskLocation: path.join(dir, 'blobs'),
        blobstoreDiskTmpLocation: path.join(dir, 'blobs-tmp'),
      }
      const cfg = envToCfg(env)
      const url = `http://${host}:${port}`
      cfg.service.publicUrl = url
      cfg.oauth.issuer = url
      const candidate = await PDS.create(cfg, envToSecrets(env))
      try {
        await candidate.start()
        extraPdses.push(candidate)
        extraPds.push({
          pdsUrl: url,
          firehoseUrl: `ws://${host}:${port}/xrpc/com.atproto.sync.subscribeRepos`,
          host,
          handleDomain: `.pds${k}.test`,
        })
        break
      } catch (err) {
        await candidate.destroy().catch(() => {})
        if (err?.code !== 'EADDRINUSE' || attempt >= 5) throw err
      }
    }
  }

  printReady(
    {
      pdsUrl,
      plcUrl,
      firehoseUrl: `ws://localhost:${pdsPort}/xrpc/com.atproto.sync.subscribeRepos`,
      pdsPort,
      plcPort,
      adminPassword,
      handleDomain: '.test',
      extraPds,
      dataDir,
    },
    { t0, tImported },
  )
} catch (err) {
  console.error('pds-server: failed to start:', err)
  await stop(1)
}
