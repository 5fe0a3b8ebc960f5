// The container image, built from the Dockerfile as written and run for real (`npm run
// test:image`: scripts/image/test.sh builds it with podman on the local stand-in for
// node:24-slim and starts the real broker). The image runs on the host network against that
// broker and a local relay replaying the recorded firehose frames with fresh seqs.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { CORPUS_FRAMES, childMetric, compareOps, readTopicJava, savedCursor } from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'
import { execForm, readDockerfile } from '../unit/docker/docker-files.ts'
import { envOptions, image, inspect, podman, podmanOk } from './podman.ts'

const dockerfile = readDockerfile()
const one = (name: string) => {
  const found = dockerfile.filter((i) => i.instruction === name)
  assert.equal(found.length, 1, `one ${name} in the Dockerfile`)
  return found[0]!.args
}
const entrypoint = execForm(one('ENTRYPOINT'))
const cmd = execForm(one('CMD'))
const say = (msg: string) => process.stderr.write(`test:image: ${msg}\n`)

/** the environment of a relay-mode container writing `topic`, its cursor in `<topic>.cursors` */
function relayEnv(o: { relayUrl: string; topic: string; metricsPort: number }): Record<string, string> {
  return {
    ATKAFKA_BOOTSTRAP_SERVERS: brokerEnv().bootstrap,
    ATKAFKA_RELAY_HOST: o.relayUrl,
    ATKAFKA_OUTPUT_TOPIC: o.topic,
    ATKAFKA_TOPIC_PARTITIONS: '4',
    ATKAFKA_CURSOR_TOPIC: `${o.topic}.cursors`,
    ATKAFKA_SOURCE_ID: `test:${o.topic}`,
    ATKAFKA_CURSOR_SAVE_INTERVAL_MS: '200',
    // the recorded frames' DIDs are not looked up (plc.directory is not reached from tests)
    ATKAFKA_EVENT_METADATA: 'false',
    // the host network: a free port, which the HEALTHCHECK reads from this same variable
    ATKAFKA_METRICS_ADDRESS: `127.0.0.1:${o.metricsPort}`,
    ATKAFKA_LOG_LEVEL: 'info',
  }
}

describe('the image', () => {
  test('is what the Dockerfile says: user node, its HEALTHCHECK, ENTRYPOINT and CMD; its size', async () => {
    const [inspected] = JSON.parse(await podmanOk('image', 'inspect', image)) as {
      Config: { User: string; Entrypoint: string[]; Cmd: string[]; ExposedPorts: Record<string, unknown> }
      Healthcheck?: { Test: string[] }
    }[]
    assert.ok(inspected)
    const config = inspected.Config
    assert.equal(config.User, one('USER'))
    assert.deepEqual(config.Entrypoint, entrypoint)
    assert.deepEqual(config.Cmd, cmd)
    // the OCI image format drops HEALTHCHECK: the build must keep the Docker format
    const health = /CMD (\[.*\])$/.exec(one('HEALTHCHECK'))
    assert.ok(health, 'HEALTHCHECK in exec form')
    assert.deepEqual(inspected.Healthcheck?.Test, ['CMD', ...execForm(health[1]!)])
    assert.deepEqual(Object.keys(config.ExposedPorts), [`${one('EXPOSE')}/tcp`])
    const size = Number(await podmanOk('image', 'inspect', '--format', '{{.Size}}', image))
    const base = Number(
      await podmanOk('image', 'inspect', '--format', '{{.Size}}', 'docker.io/library/node:24-slim'),
    )
    assert.ok(size > base, 'the image adds atkafka to its base')
    say(
      `image ${image}: ${(size / 1e6).toFixed(1)} MB (base, the local stand-in for node:24-slim: ${(base / 1e6).toFixed(1)} MB; atkafka's layers: ${((size - base) / 1e6).toFixed(1)} MB)`,
    )
  })

  test('`firehose relay` as user node into the real broker; HEALTHCHECK healthy; `podman stop` drains, exits 0, nothing lost', async (t) => {
    const count = 100 * CORPUS_FRAMES
    // paced, so that the stop below lands while events are in flight
    await using relay = await startFakeRelay({
      frames: resequenced(readCorpusFrames(), count, 1),
      ratePerSecond: 2000,
    })
    const topic = uniqueTopic('image')
    const metricsPort = await freePort()
    const env = relayEnv({ relayUrl: relay.url, topic, metricsPort })
    const names = [`atkafka-image-${topic}-1`, `atkafka-image-${topic}-2`] as const
    t.after(async () => {
      for (const name of names) await podman('rm', '--force', name)
    })
    const cursorSeq = () => childMetric(metricsPort, 'atkafka_cursor_seq')
    const logsOf = async (name: string) => {
      const r = await podman('logs', name)
      return r.stdout + r.stderr
    }

    // first run: the image's own CMD (`firehose relay`), from the start of the relay's window
    await podmanOk(
      'run',
      '--detach',
      '--name',
      names[0],
      '--network',
      'host',
      ...envOptions({ ...env, ATKAFKA_CURSOR: '0' }),
      image,
    )
    await waitFor(async () => ((await cursorSeq()) ?? 0) > 0, 'the first events held by Kafka', 60_000)

    // PID 1 is atkafka's node, started by ENTRYPOINT + CMD, as the image's `node` user (uid 1000)
    const status = await podmanOk('exec', names[0], 'cat', '/proc/1/status')
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(status)
    assert.deepEqual(uids?.slice(1), ['1000', '1000', '1000', '1000'], status)
    const cmdline = await podmanOk('exec', names[0], 'cat', '/proc/1/cmdline')
    assert.deepEqual(cmdline.split('\0').filter(Boolean), [...entrypoint, ...cmd])
    assert.equal(await podmanOk('exec', names[0], 'id', '-un'), 'node')

    // the image's own HEALTHCHECK (podman runs it on demand: its timer needs systemd)
    await waitFor(
      async () => (await podman('healthcheck', 'run', names[0])).code === 0,
      'HEALTHCHECK passing',
      60_000,
    )
    assert.equal(await inspect(names[0], '{{.State.Health.Status}}'), 'healthy')

    // SIGTERM to PID 1 mid-stream, with podman's (and Docker's) default 10 s before SIGKILL: atkafka
    // drains what it read, saves the cursor, exits 0
    await waitFor(
      async () => ((await cursorSeq()) ?? 0) >= count / 5,
      'a fifth of the stream in Kafka',
      120_000,
    )
    await podmanOk('stop', names[0])
    const log1 = await logsOf(names[0])
    assert.equal(await inspect(names[0], '{{.State.ExitCode}}'), '0', log1.slice(-3000))
    assert.match(log1, /"msg":"shutting down: draining in-flight events"/)
    assert.match(log1, /"msg":"stopped"/)
    const stoppedAt = await savedCursor(topic, 'READ_UNCOMMITTED')
    assert.ok(stoppedAt > 0 && stoppedAt < count, `stopped mid-stream: saved cursor ${stoppedAt} of ${count}`)

    // second run: resumes from the saved cursor, to the end of the stream, and stops the same way
    await podmanOk('run', '--detach', '--name', names[1], '--network', 'host', ...envOptions(env), image)
    await waitFor(async () => (await cursorSeq()) === count, `cursor at the last seq (${count})`, 180_000)
    await podmanOk('stop', names[1])
    const log2 = await logsOf(names[1])
    assert.equal(await inspect(names[1], '{{.State.ExitCode}}'), '0', log2.slice(-3000))
    assert.match(log2, /"msg":"stopped"/)
    assert.deepEqual(
      relay.connections.map((c) => c.cursor),
      ['0', String(stoppedAt)],
      'the second run resumed from the cursor the first saved on SIGTERM',
    )

    // what Kafka holds is what the relay served: every op once, none lost, none twice
    const values = await readTopicJava(topic, 'read_uncommitted', brokerEnv().bootstrap)
    const result = compareOps(values, count)
    say(
      `relay → image → Kafka: ${count} frames, ${result.expected} ops; podman stop at seq ${stoppedAt}; read back ${values.length} messages, ${result.read} ops: ${result.lost} lost, ${result.duplicated} duplicated`,
    )
    assert.equal(result.lost, 0, result.examples.join('\n'))
    assert.equal(result.duplicated, 0, result.examples.join('\n'))
    assert.equal(result.read, result.expected)
  })
})
