// The compose files through a real compose implementation, podman-compose (pinned, from PyPI):
// `config` resolves each of them, and `up` starts the atkafka service of the relay and the Tap
// stacks (the image built by scripts/image/test.sh, the file's command and environment) with an
// override that points it at the real test broker and a local upstream on the host network:
// the Kafka, Tap, Prometheus and Grafana images of the stacks cannot be pulled here.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parse, stringify } from 'yaml'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { CORPUS_FRAMES, childMetric } from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { recordEvent, startFakeTap } from '../helpers/fake-tap.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'
import { image, inspect, podman, podmanCompose, run } from './podman.ts'

/** what docker-compose.ozone.yml asks from the shell (`${VAR:?…}`) */
const OZONE_SHELL = {
  ATKAFKA_OZONE_PDS_HOST: 'https://pds.example.com',
  ATKAFKA_OZONE_IDENTIFIER: 'mod.example.com',
  ATKAFKA_OZONE_PASSWORD: 'xxxx-xxxx-xxxx-xxxx',
  ATKAFKA_OZONE_LABELER_DID: 'did:plc:ar7c4by46qjdydhdevvrndac',
}

/** the compose project of these tests (its images and containers are named after it) */
const project = 'atkafka-image-test'

const files = [
  { file: 'docker-compose.yml', command: ['firehose', 'relay'] },
  { file: 'docker-compose.tap.yml', command: ['firehose', 'tap'] },
  { file: 'docker-compose.ozone.yml', command: ['ozone-events'] },
] as const

interface Resolved {
  services: Record<
    string,
    {
      build?: { context: string; dockerfile: string }
      command?: string[]
      environment?: Record<string, string>
    }
  >
}

describe('podman-compose config', () => {
  for (const { file, command } of files) {
    test(`${file}: resolves; atkafka is built from this repository's Dockerfile and runs \`${command.join(' ')}\``, async () => {
      const r = await podmanCompose(['-f', file, 'config'], OZONE_SHELL)
      assert.equal(r.code, 0, r.stderr)
      const resolved = parse(r.stdout) as Resolved
      const atkafka = resolved.services.atkafka
      assert.deepEqual(atkafka?.build, { context: repoRoot, dockerfile: 'Dockerfile' })
      assert.deepEqual(atkafka?.command, command)
      if (file === 'docker-compose.ozone.yml')
        for (const [k, v] of Object.entries(OZONE_SHELL)) assert.equal(atkafka?.environment?.[k], v)
    })
  }

  test('docker-compose.ozone.yml without the Ozone account from the shell: refused, naming the variable', async () => {
    const env = Object.fromEntries(Object.keys(OZONE_SHELL).map((k) => [k, '']))
    const r = await podmanCompose(['-f', 'docker-compose.ozone.yml', 'config'], env)
    assert.notEqual(r.code, 0)
    assert.match(r.stderr + r.stdout, /ATKAFKA_OZONE_/)
  })
})

test('podman-compose build: docker-compose.yml builds the atkafka service from the Dockerfile as the image under test', async (t) => {
  // npm ci in the build reaches the registry as scripts/image/build.sh's build does
  const buildArgs = await run('bash', ['scripts/image/build-args.sh'])
  assert.equal(buildArgs.code, 0, buildArgs.stderr)
  const built = `localhost/${project}_atkafka:latest`
  t.after(() => podman('untag', built, built))
  const r = await podmanCompose([
    '--project-name',
    project,
    '--podman-build-args',
    buildArgs.stdout.split('\n').filter(Boolean).join(' '),
    '-f',
    'docker-compose.yml',
    'build',
    '--pull=never',
    'atkafka',
  ])
  assert.equal(r.code, 0, r.stderr.slice(-3000))
  const described = async (name: string) => {
    const [i] = JSON.parse((await podman('image', 'inspect', name)).stdout) as {
      Config: unknown
      Healthcheck: unknown
    }[]
    return { config: i?.Config, healthcheck: i?.Healthcheck }
  }
  assert.deepEqual(await described(built), await described(image))
})

/**
 * `podman-compose up` of the atkafka service of `file` with an override (network_mode host,
 * the test broker, `env`); resolves once started, with a stop() that stops it through compose
 * and resolves its exit code and logs, then takes it down.
 */
async function composeUp(file: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'atkafka-compose-'))
  const override = join(dir, 'local-broker.yml')
  writeFileSync(
    override,
    stringify({
      services: {
        atkafka: {
          image,
          network_mode: 'host',
          environment: { ATKAFKA_BOOTSTRAP_SERVERS: brokerEnv().bootstrap, ...env },
        },
      },
    }),
  )
  const args = ['--project-name', project, '-f', file, '-f', override]
  // what an earlier, interrupted run of this test left (its compose project's label); another
  // container with the compose file's container_name (a stack of one's own) makes `up` fail
  const left = await podman(
    'ps',
    '--all',
    '--quiet',
    '--filter',
    `label=com.docker.compose.project=${project}`,
  )
  for (const id of left.stdout.split('\n').filter(Boolean)) await podman('rm', '--force', id)
  const up = await podmanCompose([...args, 'up', '--detach', '--no-deps', '--no-build', 'atkafka'])
  assert.equal(up.code, 0, `podman-compose up: ${up.stderr.slice(-3000)}`)
  // the container is the compose file's: its container_name
  const container = 'atkafka'
  const down = async () => {
    await podmanCompose([...args, 'down'])
    await podman('rm', '--force', container)
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    container,
    down,
    async stop() {
      const stopped = await podmanCompose([...args, 'stop', 'atkafka'])
      assert.equal(stopped.code, 0, `podman-compose stop: ${stopped.stderr.slice(-3000)}`)
      const exitCode = await inspect(container, '{{.State.ExitCode}}')
      const logs = await podman('logs', container)
      return { exitCode, logs: logs.stdout + logs.stderr }
    },
  }
}

describe('podman-compose up of the atkafka service, against the local broker', () => {
  test('docker-compose.yml: relay mode; a pass over the recorded frames lands in Kafka; stop exits 0', async (t) => {
    await using relay = await startFakeRelay({ frames: resequenced(readCorpusFrames(), CORPUS_FRAMES, 1) })
    const topic = uniqueTopic('compose-relay')
    const port = await freePort()
    const stack = await composeUp('docker-compose.yml', {
      ATKAFKA_RELAY_HOST: relay.url,
      ATKAFKA_CURSOR: '0',
      ATKAFKA_OUTPUT_TOPIC: topic,
      ATKAFKA_CURSOR_TOPIC: `${topic}.cursors`,
      ATKAFKA_SOURCE_ID: `test:${topic}`,
      ATKAFKA_EVENT_METADATA: 'false',
      ATKAFKA_METRICS_ADDRESS: `127.0.0.1:${port}`,
    })
    t.after(stack.down)
    await waitFor(
      async () => (await childMetric(port, 'atkafka_cursor_seq')) === CORPUS_FRAMES,
      'the whole pass held by Kafka',
      120_000,
    )
    // the README's `docker compose exec atkafka node dist/cli/main.js tail`, bounded
    const tail = await podman(
      'exec',
      stack.container,
      'node',
      'dist/cli/main.js',
      'tail',
      '--from-beginning',
      '--json',
      '--limit',
      '5',
    )
    assert.equal(tail.code, 0, tail.stderr.slice(-2000))
    const tailed = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq?: number; did?: string })
    assert.equal(tailed.length, 5)
    for (const e of tailed) assert.match(e.did ?? '', /^did:/)
    const { exitCode, logs } = await stack.stop()
    assert.equal(exitCode, '0', logs.slice(-3000))
    assert.match(logs, /"msg":"stopped"/)
    const messages = await readTopic(topic, { count: 1_000_000, timeoutMs: 30_000, idleMs: 3000 })
    const seqs = new Set(messages.map((m) => (JSON.parse(m.value.toString()) as { seq?: number }).seq))
    for (let seq = 1; seq <= CORPUS_FRAMES; seq++) assert.ok(seqs.has(seq), `seq ${seq} in Kafka`)
  })

  test('docker-compose.tap.yml: Tap mode; every event acked once Kafka held it; stop exits 0', async (t) => {
    const count = 200
    const events = Array.from({ length: count }, (_, i) =>
      recordEvent(i + 1, { rkey: `3mptbyplj${String(i).padStart(4, '0')}` }),
    )
    await using tap = await startFakeTap({ events })
    const topic = uniqueTopic('compose-tap')
    const stack = await composeUp('docker-compose.tap.yml', {
      ATKAFKA_TAP_HOST: tap.url,
      ATKAFKA_OUTPUT_TOPIC: topic,
      ATKAFKA_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    })
    t.after(stack.down)
    await tap.waitForAcks({ count }, 120_000)
    const { exitCode, logs } = await stack.stop()
    assert.equal(exitCode, '0', logs.slice(-3000))
    const messages = await readTopic(topic, { count, timeoutMs: 30_000 })
    assert.equal(messages.length, count)
  })
})
