// The broker stopped and restarted in the middle of a run: nothing is lost. A dedicated broker
// (not the shared one) is stopped for a few seconds while atkafka streams a paced replay; the
// client retries; should atkafka still give up (a produce failure past its retries ends the run
// with exit 1 and an unmoved cursor), it is restarted like a supervisor would, from the cursor.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parseEnv } from 'node:util'
import { readCorpusFrames } from '../helpers/corpus.ts'
import {
  atkafkaChildren,
  CORPUS_FRAMES,
  childMetric,
  compareOps,
  readTopicJava,
  relayChildArgs,
} from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { freePort } from '../helpers/free-port.ts'
import { uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const script = join(repoRoot, 'scripts', 'kafka-broker.sh')
const broker = (...args: string[]) =>
  execFileSync('bash', [script, ...args], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 })

for (const mode of ['at-least-once', 'exactly-once'] as const) {
  describe(`broker restart (${mode})`, () => {
    test('the broker stopped and restarted mid-run: 0 lost', async (t) => {
      const eos = mode === 'exactly-once'
      const dir = mkdtempSync(join(tmpdir(), 'atkafka-restart-broker-'))
      t.after(() => broker('stop', dir, '--rm'))
      broker('start', dir, String(process.pid))
      const bootstrap = parseEnv(readFileSync(join(dir, 'env'), 'utf8')).KAFKA_BOOTSTRAP ?? ''
      const count = 200 * CORPUS_FRAMES
      await using relay = await startFakeRelay({
        frames: resequenced(readCorpusFrames(), count, 1),
        ratePerSecond: 2500,
      })
      const topic = uniqueTopic(eos ? 'restart-eos' : 'restart')
      const port = await freePort()
      const args = [
        ...relayChildArgs({ relayUrl: relay.url, topic, exactlyOnce: eos, bootstrap }),
        '--topic-partitions',
        '4',
        '--metrics-address',
        `127.0.0.1:${port}`,
      ]
      const children = atkafkaChildren(t)
      const cursor = async () =>
        (await childMetric(port, eos ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq')) ?? 0
      // a supervisor: a run that ends by itself is started again (it resumes from the cursor)
      let child: ChildProcess = children.start([...args, '--cursor', '0'])
      let restarts = 0
      let stopping = false
      const supervise = (c: ChildProcess) =>
        c.once('exit', (code) => {
          if (stopping || code === 0) return
          restarts++
          process.stderr.write(`broker restart test: atkafka exited ${code}; restarting it\n`)
          child = children.start(args)
          supervise(child)
        })
      supervise(child)
      await waitFor(async () => (await cursor()) >= count / 4, 'a quarter of the stream in Kafka', 120_000)
      const stoppedAt = await cursor()
      broker('stop', dir)
      await new Promise((r) => setTimeout(r, 3000))
      broker('resume', dir, String(process.pid))
      await waitFor(async () => (await cursor()) === count, 'the whole stream in Kafka', 240_000)
      stopping = true
      assert.equal(await children.stop(child), 0, 'the run stops cleanly')

      const values = await readTopicJava(topic, eos ? 'read_committed' : 'read_uncommitted', bootstrap)
      const result = compareOps(values, count)
      process.stderr.write(
        `broker restart test (${mode}): ${count} ops served, broker stopped at cursor ${stoppedAt} for 3 s + restart, ${restarts} atkafka restarts; read back ${result.read}: ${result.lost} lost, ${result.duplicated} duplicated\n`,
      )
      assert.equal(result.lost, 0, result.examples.join('\n'))
      if (eos) assert.equal(result.duplicated, 0, result.examples.join('\n'))
    })
  })
}
