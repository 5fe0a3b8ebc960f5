// The CLI as a user starts it, as a separate process: every documented way of running it stops
// cleanly when what a supervisor signals is signalled (npx, whose shell passes no signal on;
// the bin; node dist/cli/main.js as in the image), and an older Node.js stops at once with
// exit code 2 and how to get the right one, before serving anything.
import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { shippedNodeFlags } from '../../scripts/shipped-node-flags.ts'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { type FakeRelay, startFakeRelay } from '../helpers/fake-relay.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { freePort } from '../helpers/free-port.ts'
import { assertStoppedCleanly, atkafkaPid, stopByGroupSigterm, withoutNpmEnv } from '../helpers/group-stop.ts'
import { brokerEnv, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const dist = join(repoRoot, 'dist/cli/main.js')
const required = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node

/** whether nothing listens on 127.0.0.1:port (binding it works) */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })

const alive = (pid: number) => existsSync(`/proc/${pid}`)

interface Started {
  readonly child: ChildProcess
  readonly port: number
  readonly output: () => string
}

describe('the CLI as a process', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  let relay: FakeRelay
  before(async () => {
    relay = await startFakeRelay({ frames: readCorpusFrames() })
  })
  after(() => relay?.close())

  const start = async (command: string, args: string[]): Promise<Started> => {
    const port = await freePort()
    const child = spawn(
      command,
      [
        ...args,
        'firehose',
        'relay',
        '--relay-host',
        relay.url,
        '--bootstrap-servers',
        brokerEnv().bootstrap,
        '--output-topic',
        uniqueTopic('cli'),
        '--cursor-store',
        'none',
        '--metrics-address',
        `127.0.0.1:${port}`,
      ],
      // its own process group: whatever is left of it can be cleaned up after the test
      { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    return { child, port, output: () => out }
  }

  const ways: { name: string; command: string; args: string[]; skip?: string | false }[] = [
    // npm exec runs the bin through `sh -c`: signalling npm does not reach atkafka
    { name: 'npx atkafka', command: 'npx', args: ['--no', '--', 'atkafka'] },
    // the installed bin is bin/atkafka.js, started through its shebang
    { name: 'the atkafka bin', command: join(repoRoot, 'bin/atkafka.js'), args: [] },
    {
      name: 'node dist/cli/main.js (the image)',
      command: process.execPath,
      args: [...shippedNodeFlags, dist],
      skip: !existsSync(dist) && 'dist/ not built (npm run build)',
    },
  ]
  for (const way of ways) {
    test(`${way.name}: SIGTERM to the process started stops atkafka cleanly and frees its port`, {
      skip: way.skip,
    }, async (t) => {
      const { child, port, output } = await start(way.command, way.args)
      t.after(() => {
        // nothing of it may outlive the test, whatever happened
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {}
      })
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
        `${way.name} serving on ${port}`,
        60_000,
      )
      const pid = atkafkaPid(port)
      assert.ok(pid, `atkafka's process (${output().slice(0, 500)})`)
      child.kill('SIGTERM')
      await waitFor(() => !alive(pid), `atkafka (pid ${pid}) to exit after ${way.name} was signalled`, 60_000)
      assert.ok(await portFree(port), 'its metrics port is free')
      assert.match(output(), /"msg":"stopped"/, 'it drained and stopped (exit 0), not killed')
      if (way.command === 'npx') assert.match(output(), /the npm process that started atkafka is gone/)
    })
  }
})

// systemd's default (KillMode=control-group) and `kill -TERM -- -PGID`: SIGTERM to every process
// of the group at once. Under npx, npm and its shell die while atkafka drains; atkafka noticing
// that its npm is gone must not cut the drain short (see test/helpers/group-stop.ts)
describe('a process-group SIGTERM', { skip: process.platform !== 'linux' && 'reads /proc, prctl' }, () => {
  test('npx atkafka: atkafka finishes its drain and exits 0 though npm is gone; Kafka holds what was sent', async (t) => {
    const stop = await stopByGroupSigterm(t, {
      command: 'npx',
      args: ['--no', '--', 'atkafka'],
      env: process.env,
    })
    t.diagnostic(`reaped: ${JSON.stringify(stop.reaped)}`)
    assertStoppedCleanly(stop, true)
  })

  test('node dist/cli/main.js (the image): drains and exits 0; Kafka holds what was sent', {
    skip: !existsSync(dist) && 'dist/ not built (npm run build)',
  }, async (t) => {
    const stop = await stopByGroupSigterm(t, {
      command: process.execPath,
      args: [...shippedNodeFlags, dist],
      env: withoutNpmEnv(process.env),
    })
    assert.equal(stop.reaped.length, 1, 'one process: node itself')
    assertStoppedCleanly(stop, false)
  })
})

/** a Node.js older than package.json asks for: the system one, not the one scripts/node-env.sh put first */
function olderNode(): string | undefined {
  const candidates = new Set(['/usr/bin/node', '/usr/local/bin/node'])
  try {
    for (const p of execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n'))
      if (p) candidates.add(p)
  } catch {}
  const want = required
    .replace(/^\s*>=\s*/, '')
    .split('.')
    .map(Number)
  for (const node of candidates) {
    if (!existsSync(node)) continue
    const v = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' })
      .trim()
      .split('.')
      .map(Number)
    if ((v[0]! - want[0]! || v[1]! - want[1]! || v[2]! - want[2]!) < 0) return node
  }
  return undefined
}

describe('an older Node.js', () => {
  const node = olderNode()
  // a configuration that would run (a reachable broker, a relay that never answers): only the
  // version check can stop it; without the check Node 20 served the port, then died at run time
  const run = async (args: string[]) => {
    const port = await freePort()
    const child = spawn(
      node!,
      [
        ...args,
        'firehose',
        'relay',
        '--bootstrap-servers',
        brokerEnv().bootstrap,
        '--relay-host',
        'ws://127.0.0.1:9',
        '--output-topic',
        uniqueTopic('old-node'),
        '--cursor-store',
        'none',
        '--metrics-address',
        `127.0.0.1:${port}`,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    // one that did not stop on its own is stopped here, and fails below
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    clearTimeout(killer)
    return { code, stderr, stdout, port }
  }
  const expectRefusal = async (r: Awaited<ReturnType<typeof run>>) => {
    assert.equal(r.code, 2, r.stderr)
    assert.match(
      r.stderr,
      new RegExp(`atkafka needs Node\\.js ${required.replace(/[.]/g, '\\.')}; this is Node\\.js \\d+`),
    )
    assert.match(r.stderr, /Install Node\.js 24 .*nodejs\.org/)
    assert.equal(r.stdout, '', 'nothing else ran (no log line)')
    assert.ok(await portFree(r.port), 'the metrics port was never served')
  }

  test('bin/atkafka.js exits 2 naming the version it needs and how to get it', {
    skip: !node && 'no Node.js older than required on this machine',
  }, async () => {
    await expectRefusal(await run([join(repoRoot, 'bin/atkafka.js')]))
  })

  test('dist/cli/main.js (the image) says the same, before anything else loads', {
    skip:
      (!node && 'no Node.js older than required on this machine') ||
      (!existsSync(dist) && 'dist/ not built (npm run build)'),
  }, async () => {
    const fromDist = await run([dist])
    await expectRefusal(fromDist)
    assert.equal(fromDist.stderr, (await run([join(repoRoot, 'bin/atkafka.js')])).stderr)
  })
})
