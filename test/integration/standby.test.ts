// Standby: two atkafka instances with the same source id (--standby). One writes, the other
// waits; kill -9 the writer and the standby takes over from the committed cursor; the old
// writer restarted joins as a standby; a writer paused with SIGSTOP (a zombie) loses its role
// and, resumed, ends with an error. With --exactly-once the zombie is fenced by the producer
// epoch and commits nothing: read back by the Java client with read_committed, every op exactly
// once. At-least-once: every op at least once (what the zombie wrote before its next heartbeat
// told it to stop, and what came after the last saved cursor, may be repeated).
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { describe, test } from 'node:test'
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
import { resequenced } from '../helpers/frame-tools.ts'
import { freePort } from '../helpers/free-port.ts'
import { createTopic, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const SESSION_MS = 6000

for (const exactlyOnce of [true, false]) {
  describe(`standby instances (${exactlyOnce ? 'exactly-once' : 'at-least-once'})`, () => {
    test(`kill -9 the writer: the standby takes over; the old writer restarted waits; a zombie ends; 0 lost${exactlyOnce ? ', 0 duplicated' : ''}`, async (t) => {
      const count = 200 * CORPUS_FRAMES
      await using relay = await startFakeRelay({
        frames: resequenced(readCorpusFrames(), count, 1),
        ratePerSecond: 1000,
      })
      const topic = uniqueTopic('standby')
      await createTopic(topic, 4)
      const children = atkafkaChildren(t)
      const instance = async (first = false) => {
        const port = await freePort()
        const child = children.start([
          ...relayChildArgs({ relayUrl: relay.url, topic, exactlyOnce }),
          '--metrics-address',
          `127.0.0.1:${port}`,
          '--standby',
          '--standby-session-timeout-ms',
          String(SESSION_MS),
          ...(first ? ['--cursor', '0'] : []),
        ])
        return { child, port }
      }
      const t0 = performance.now()
      const phase = (what: string) =>
        process.stderr.write(`standby test +${Math.round((performance.now() - t0) / 1000)}s: ${what}\n`)
      const metric = (i: { port: number }, name: string) => childMetric(i.port, name)
      const waiting = (i: { child: ChildProcess }) =>
        waitFor(
          () => children.tail(i.child, 200).includes('standby: waiting for the writer role'),
          'joined as standby',
        )
      // exactly-once: the cursor committed with the last transaction; else the one Kafka holds
      const cursorMetric = exactlyOnce ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq'
      const committed = async (i: { port: number }) => (await metric(i, cursorMetric)) ?? 0

      // A writes
      const a = await instance(true)
      await waitFor(async () => (await committed(a)) > 2000, 'A committing', 60_000)
      phase('A writes')
      // B joins and waits
      const b = await instance()
      await waiting(b)
      await waitFor(async () => (await committed(a)) > 6000, 'A still writing with B in the group', 60_000)
      assert.equal(
        await metric(b, 'atkafka_writer'),
        0,
        `B waits; A:\n${children.tail(a.child, 15)}\nB:\n${children.tail(b.child, 15)}`,
      )
      assert.equal(relay.connections.length, 1, 'only the writer reads the relay')

      phase('B waits')
      // kill -9 A: B takes over from the committed cursor
      const killedAt = performance.now()
      await children.kill9(a.child)
      await waitFor(async () => (await metric(b, 'atkafka_writer')) === 1, 'B is the writer', 120_000)
      const writerAfter = performance.now() - killedAt
      await waitFor(() => relay.connections.length === 2, 'B connected to the relay', 60_000)
      const resumedFrom = Number(relay.connections.at(-1)?.cursor)
      await waitFor(async () => (await committed(b)) > resumedFrom, 'B committing', 60_000)
      const takeover = performance.now() - killedAt
      assert.ok(
        resumedFrom > 0,
        `B resumed from the committed cursor: ${JSON.stringify(relay.connections)}\n${children.tail(b.child, 40)}`,
      )

      phase('B took over')
      // A restarted: it joins as a standby and does not take the role back
      const a2 = await instance()
      await waiting(a2)
      const before = await committed(b)
      await waitFor(
        async () => (await committed(b)) > before + 2000,
        'B still writing with A2 in the group',
        60_000,
      )
      assert.equal(await metric(a2, 'atkafka_writer'), 0, 'the restarted old writer waits')
      assert.equal(await metric(b, 'atkafka_writer'), 1)
      assert.equal(relay.connections.length, 2, 'the restarted old writer never read the relay')

      phase('A2 waits')
      // B paused (a zombie): A2 takes over; B resumed is fenced and ends with a non-zero exit
      assert.equal(b.child.exitCode, null, `B still runs:\n${children.tail(b.child, 40)}`)
      b.child.kill('SIGSTOP')
      await waitFor(async () => (await metric(a2, 'atkafka_writer')) === 1, 'A2 is the writer', 120_000)
      b.child.kill('SIGCONT')
      const code = await children.exited(b.child)
      assert.notEqual(code, 0, 'the zombie ends with an error')
      assert.match(
        children.tail(b.child, 200),
        exactlyOnce ? /fenced|FENCED|INVALID_PRODUCER_EPOCH|writer role/ : /writer role/,
        exactlyOnce ? 'fenced or lost the role' : 'lost the role',
      )

      phase('zombie B ended')
      await waitFor(async () => (await committed(a2)) === count, 'the whole stream committed', 180_000)
      assert.equal(await children.stop(a2.child), 0)

      const result = compareOps(await readTopicJava(topic, 'read_committed'), count)
      process.stderr.write(
        `standby test (${exactlyOnce ? 'exactly-once' : 'at-least-once'}): ${count} ops; kill -9 writer → standby writer after ${Math.round(writerAfter)} ms, committing after ${Math.round(takeover)} ms (session timeout ${SESSION_MS} ms); zombie exit code ${code}; read back ${result.read}: ${result.lost} lost, ${result.duplicated} duplicated\n`,
      )
      assert.equal(result.lost, 0, result.examples.join('\n'))
      if (exactlyOnce) assert.equal(result.duplicated, 0, result.examples.join('\n'))
    })
  })
}
