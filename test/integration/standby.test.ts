// Standby: two atkafka instances with the same source id (--standby). One writes, the other
// waits, ready (/readyz) as a standby; /status.json tells each one's role. kill -9 the writer and
// the standby takes over from the committed cursor; the old writer restarted joins as a standby;
// a writer paused with SIGSTOP past its session (a zombie) loses its role and, resumed, exits at
// once with exit code 75, never reporting the writer role at the same time as the new writer
// (both sampled every 100 ms); a writer stopped with SIGTERM hands over to a third instance, again
// never two writers. With --exactly-once the zombie is also fenced by the producer
// epoch and commits nothing: read back by the Java client with read_committed, every op exactly
// once. At-least-once: every op at least once (what came after the last saved cursor may be
// repeated).
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
  savedCursor,
} from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { freePort } from '../helpers/free-port.ts'
import { createTopic, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const SESSION_MS = 6000

interface RoleReport {
  state: string
  since: string
  lastTakeover: { at: string; generation: number } | null
}

/** an instance's /status.json (role and upstream state), undefined while it does not answer */
async function statusOf(
  port: number,
): Promise<{ role: RoleReport | null; upstream: { state: string } } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status.json`, { signal: AbortSignal.timeout(2000) })
    return (await res.json()) as { role: RoleReport | null; upstream: { state: string } }
  } catch {
    return undefined
  }
}

async function readyz(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })).status
  } catch {
    return undefined
  }
}

/**
 * Every 100 ms, asks each instance for atkafka_writer at once (without waiting for the earlier
 * rounds: a stopped process answers late, with what it says when it runs again); stop() gives
 * the rounds in which more than one instance answered 1.
 */
function sampleWriters(ports: () => number[]) {
  const rounds: Promise<(number | undefined)[]>[] = []
  const timer = setInterval(() => {
    rounds.push(
      Promise.all(
        ports().map(async (port) => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
            const line = (await res.text()).split('\n').find((l) => l.startsWith('atkafka_writer '))
            return line === undefined ? undefined : Number(line.split(' ')[1])
          } catch {
            return undefined
          }
        }),
      ),
    )
  }, 100)
  return {
    async stop() {
      clearInterval(timer)
      const all = await Promise.all(rounds)
      return { rounds: all.length, both: all.filter((r) => r.filter((v) => v === 1).length > 1).length }
    },
  }
}

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
      const aLog = children.tail(a.child, 200)
      assert.ok(
        aLog.indexOf('joined the standby group') < aLog.indexOf('this instance is now the writer'),
        `the first writer joins, then writes:\n${aLog}`,
      )
      phase('A writes')
      // B joins and waits, ready as a standby
      const bStarted = performance.now()
      const b = await instance()
      await waitFor(async () => (await readyz(b.port)) === 200, 'B ready as a standby', 60_000)
      const standbyReadyAfter = performance.now() - bStarted
      await waiting(b)
      await waitFor(async () => (await committed(a)) > 6000, 'A still writing with B in the group', 60_000)
      assert.equal(
        await metric(b, 'atkafka_writer'),
        0,
        `B waits; A:\n${children.tail(a.child, 15)}\nB:\n${children.tail(b.child, 15)}`,
      )
      assert.equal(relay.connections.length, 1, 'only the writer reads the relay')
      const [aStatus, bStatus] = [await statusOf(a.port), await statusOf(b.port)]
      assert.equal(aStatus?.role?.state, 'writer')
      assert.equal(aStatus?.upstream.state, 'connected')
      assert.equal(bStatus?.role?.state, 'standby')
      assert.equal(bStatus?.upstream.state, 'standby', 'a standby is not "connecting" to the upstream')
      assert.equal(bStatus?.role?.lastTakeover, null)
      assert.equal(await readyz(a.port), 200, 'the writer is ready: its upstream is connected')
      if (exactlyOnce)
        assert.equal(
          await metric(b, 'atkafka_committed_cursor_seq'),
          undefined,
          'a standby that never committed shows no committed cursor (not 0)',
        )

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
      const bWriter = await statusOf(b.port)
      assert.equal(bWriter?.role?.state, 'writer')
      assert.equal(
        bWriter?.role?.lastTakeover?.at,
        bWriter?.role?.since,
        'B took over when it became the writer',
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
      assert.equal((await statusOf(a2.port))?.role?.state, 'standby')
      assert.equal(await readyz(a2.port), 200, 'the restarted old writer is ready as a standby')

      phase('A2 waits')
      // B paused past its session (a zombie): A2 takes over; B resumed exits at once (75), and
      // the two never both say writer
      assert.equal(b.child.exitCode, null, `B still runs:\n${children.tail(b.child, 40)}`)
      const sampler = sampleWriters(() => [a2.port, b.port])
      b.child.kill('SIGSTOP')
      await waitFor(async () => (await metric(a2, 'atkafka_writer')) === 1, 'A2 is the writer', 120_000)
      const resumedAt = performance.now()
      b.child.kill('SIGCONT')
      const code = await children.exited(b.child)
      const exitAfter = performance.now() - resumedAt
      const sampled = await sampler.stop()
      const bLog = children.tail(b.child, 200)
      assert.equal(code, 75, `the zombie exits with the fenced writer's code:\n${bLog}`)
      assert.match(bLog, /fenced: another instance is the writer now; exiting at once/)
      assert.doesNotMatch(bLog, /run failed|not stopped in time|shutdown deadline/, 'no drain, no deadline')
      assert.equal(sampled.both, 0, `${sampled.both} of ${sampled.rounds} rounds saw two writers`)
      assert.equal((await statusOf(a2.port))?.role?.state, 'writer')

      phase('zombie B ended')
      // a clean handover: C joins and is ready; A2 stopped (SIGTERM) drains, commits and leaves
      // the group; C takes over, and again the two never both say writer
      const c = await instance()
      await waitFor(async () => (await readyz(c.port)) === 200, 'C ready as a standby', 60_000)
      const handover = sampleWriters(() => [a2.port, c.port])
      const stoppedAt = performance.now()
      assert.equal(await children.stop(a2.child), 0, `A2 stops cleanly:\n${children.tail(a2.child, 40)}`)
      await waitFor(async () => (await metric(c, 'atkafka_writer')) === 1, 'C is the writer', 60_000)
      const handoverAfter = performance.now() - stoppedAt
      const handed = await handover.stop()
      assert.equal(
        handed.both,
        0,
        `${handed.both} of ${handed.rounds} rounds saw two writers in the handover`,
      )
      phase('C took over')
      // the last cursor record written (C's SIGTERM below commits an open transaction)
      await waitFor(
        async () => (await savedCursor(topic, 'READ_UNCOMMITTED')) === count,
        'the whole stream written',
        180_000,
      )
      assert.equal(await children.stop(c.child), 0)

      const result = compareOps(await readTopicJava(topic, 'read_committed'), count)
      process.stderr.write(
        `standby test (${exactlyOnce ? 'exactly-once' : 'at-least-once'}): ${count} ops; standby ready ${Math.round(standbyReadyAfter)} ms after its start; kill -9 writer → standby writer after ${Math.round(writerAfter)} ms, committing after ${Math.round(takeover)} ms (session timeout ${SESSION_MS} ms); zombie resumed → exit code ${code} after ${Math.round(exitAfter)} ms; ${sampled.rounds} rounds of atkafka_writer sampling, ${sampled.both} with two writers; SIGTERM writer → the standby writer after ${Math.round(handoverAfter)} ms (${handed.rounds} rounds, ${handed.both} with two writers); read back ${result.read}: ${result.lost} lost, ${result.duplicated} duplicated\n`,
      )
      assert.equal(result.lost, 0, result.examples.join('\n'))
      if (exactlyOnce) assert.equal(result.duplicated, 0, result.examples.join('\n'))
    })
  })
}
