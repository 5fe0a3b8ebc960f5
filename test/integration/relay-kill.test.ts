// kill -9 at 20 random points of a replay of 100,050 ops (667 passes over the recorded corpus
// with fresh seqs), restarting atkafka each time, then comparing what Kafka holds with what the
// relay served as multisets of (pass, did, collection, rkey, action, cid), read back by the Java
// client (the reference read_committed consumer).
// At-least-once (default): 0 lost. Exactly-once: 0 lost and 0 duplicated for read_committed.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readCorpusFrames } from '../helpers/corpus.ts'
import {
  atkafkaChildren,
  CORPUS_FRAMES,
  compareOps,
  killAtRandomPoints,
  readTopicJava,
  relayChildArgs,
  savedCursor,
} from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { createTopic, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const PASSES = Number(process.env.ATKAFKA_KILL_TEST_PASSES ?? 667)
const KILLS = Number(process.env.ATKAFKA_KILL_TEST_KILLS ?? 20)

for (const mode of ['at-least-once', 'exactly-once'] as const) {
  describe(`kill -9 during a long replay (${mode})`, () => {
    test(`${KILLS} SIGKILLs at random points, restarted each time: ${mode === 'exactly-once' ? '0 lost, 0 duplicated for read_committed' : '0 lost'}`, async (t) => {
      const eos = mode === 'exactly-once'
      const count = PASSES * CORPUS_FRAMES
      const children = atkafkaChildren(t)
      // paced, so that a busy machine cannot let one run reach the end before its kill point
      await using relay = await startFakeRelay({
        frames: resequenced(readCorpusFrames(), count, 1),
        ratePerSecond: Math.max(1000, Math.floor(count / 10)),
      })
      const topic = uniqueTopic(eos ? 'kill-eos' : 'kill')
      await createTopic(topic, 4)
      const args = [
        ...relayChildArgs({ relayUrl: relay.url, topic, exactlyOnce: eos, saveIntervalMs: 100 }),
        '--metrics-address',
        '127.0.0.1:0',
      ]
      const isolation = eos ? 'READ_COMMITTED' : 'READ_UNCOMMITTED'
      const cursor = () => savedCursor(topic, isolation)
      const t0 = performance.now()
      await killAtRandomPoints({ children, relay, args, kills: KILLS, count, cursor })
      // a last run that finishes the stream and stops cleanly
      const last = children.start(args)
      await waitFor(async () => (await cursor()) === count, 'cursor at the last seq', 180_000)
      assert.equal(await children.stop(last), 0, 'the last run stops cleanly')
      const elapsed = Math.round((performance.now() - t0) / 1000)

      // read back by the Java client: the reference read_committed consumer
      const values = await readTopicJava(topic, eos ? 'read_committed' : 'read_uncommitted')
      const result = compareOps(values, count)
      process.stderr.write(
        `kill -9 test (${mode}): ${count} frames, ${result.expected} ops served, ${KILLS} kills, ${relay.connections.length} connections, ${elapsed}s; read back ${result.read} ops (${isolation}): ${result.lost} lost, ${result.duplicated} duplicated\n`,
      )
      // on failure: which cursor each run resumed from tells a lost transaction from a stale cursor
      const resumed = `resumed from: ${relay.connections.map((c) => c.cursor ?? '-').join(' ')}`
      assert.equal(result.lost, 0, `${result.examples.join('\n')}\n${resumed}`)
      if (eos) assert.equal(result.duplicated, 0, `${result.examples.join('\n')}\n${resumed}`)
      // every restart resumed from a saved cursor (never from the start or the live head)
      assert.equal(relay.connections.length, KILLS + 1)
      for (const c of relay.connections.slice(1)) assert.match(c.cursor ?? '', /^\d+$/)
      // and the saved cursor never went back (a stale read would replay what Kafka holds)
      const cursors = relay.connections.map((c) => Number(c.cursor))
      for (let i = 1; i < cursors.length; i++)
        assert.ok((cursors[i] ?? 0) >= (cursors[i - 1] ?? 0), `cursor went back at run ${i}: ${resumed}`)
    })
  })
}
