// The Dockerfile, checked without Docker: its stages, its user, and its start and health
// commands run here, outside the image, with the same arguments and environment.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { shippedNodeFlags } from '../../../scripts/shipped-node-flags.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'
import { envOf, execForm, readCompose, readDockerfile } from './docker-files.ts'

const instructions = readDockerfile()
const all = (name: string) => instructions.filter((i) => i.instruction === name).map((i) => i.args)
const one = (name: string) => {
  const found = all(name)
  assert.equal(found.length, 1, `one ${name}`)
  return found[0]!
}
const entrypoint = execForm(one('ENTRYPOINT'))
const cmd = execForm(one('CMD'))
const healthcheck = one('HEALTHCHECK')

describe('Dockerfile', () => {
  test('two node:24-slim stages; the runtime one has only package.json, production node_modules and dist, as a non-root user', () => {
    assert.deepEqual(all('FROM'), ['node:24-slim AS build', 'node:24-slim'])
    const runtime = instructions.slice(instructions.findLastIndex((i) => i.instruction === 'FROM'))
    const copies = runtime.filter((i) => i.instruction === 'COPY').map((i) => i.args)
    assert.deepEqual(copies, [
      '--from=build /app/package.json ./package.json',
      '--from=build /app/node_modules ./node_modules',
      '--from=build /app/dist ./dist',
    ])
    const build = instructions.slice(
      0,
      instructions.findLastIndex((i) => i.instruction === 'FROM'),
    )
    assert.ok(build.some((i) => i.instruction === 'RUN' && /npm ci\b/.test(i.args)))
    assert.ok(
      build.some((i) => i.instruction === 'RUN' && /npm run build/.test(i.args) && /--omit=dev/.test(i.args)),
    )
    const user = runtime.find((i) => i.instruction === 'USER')?.args
    assert.ok(user && user !== 'root' && user !== '0', 'runs as a non-root user')
    // the image runs with the V8 flags of the CLI's shebang (peak RSS, docs/performance.md)
    assert.ok(shippedNodeFlags.length > 0, 'bin/atkafka.js has V8 flags on its shebang line')
    assert.deepEqual(entrypoint, ['node', ...shippedNodeFlags, 'dist/cli/main.js'])
    assert.deepEqual(cmd, ['firehose', 'relay'])
  })

  test('.dockerignore lets in exactly what the build stage copies', () => {
    const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    assert.equal(lines[0], '**', 'everything else (node_modules, dist, .cache, tests) stays out')
    const allowed = lines.slice(1).map((l) => l.replace(/^!/, '').replace(/\/\*\*$/, ''))
    const copied = instructions
      .filter((i) => i.instruction === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    assert.deepEqual([...copied].sort(), [...allowed].sort())
  })

  const dist = join(repoRoot, 'dist/cli/main.js')
  test('ENTRYPOINT + CMD start the CLI outside Docker, with the compose environment', {
    skip: existsSync(dist) ? false : 'dist/ not built (npm run build)',
  }, () => {
    const { compose } = readCompose('docker-compose.yml')
    const env = { PATH: process.env.PATH ?? '', ...envOf(compose.services.atkafka!) }
    const [, ...nodeArgs] = entrypoint
    const help = spawnSync(process.execPath, [...nodeArgs, ...cmd, '--help'], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
    })
    assert.equal(help.status, 0, help.stderr)
    assert.match(help.stdout, /^Usage: atkafka firehose relay \[options\]/)
    // the compose variables are read and valid (no connection is opened)
    const printed = spawnSync(process.execPath, [...nodeArgs, ...cmd, '--print-config'], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
    })
    assert.equal(printed.status, 0, printed.stderr)
    const config = JSON.parse(printed.stdout) as { bootstrapServers: string[]; relayHost: string }
    assert.deepEqual(config.bootstrapServers, ['kafka:29092'])
    assert.equal(config.relayHost, 'wss://bsky.network')
  })

  test('HEALTHCHECK: node’s fetch on /healthz of the metrics port; exit 0 when it answers, 1 when not', async () => {
    const m = /CMD (\[.*\])$/.exec(healthcheck)
    assert.ok(m, healthcheck)
    const [bin, ...args] = execForm(m[1]!)
    assert.equal(bin, 'node')
    const seen: string[] = []
    const server = createServer((req, res) => {
      seen.push(req.url ?? '')
      res.end('ok')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    const run = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env } })
        child.on('close', resolve)
      })
    try {
      assert.equal(await run({ ATKAFKA_METRICS_ADDRESS: `0.0.0.0:${port}` }), 0)
      assert.equal(await run({ METRICS_LISTEN_ADDRESS: `:${port}` }), 0)
      assert.deepEqual(seen, ['/healthz', '/healthz'])
    } finally {
      await new Promise((r) => server.close(r))
    }
    // nothing listens there any more
    assert.equal(await run({ ATKAFKA_METRICS_ADDRESS: `127.0.0.1:${port}` }), 1)
  })
})
