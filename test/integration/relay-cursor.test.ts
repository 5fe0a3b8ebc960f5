// The relay cursor survives restarts: saved (in Kafka or a file) only at seqs Kafka holds, loaded
// on start, so a restart — clean or kill -9 — loses nothing.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { repoRoot } from '../helpers/fixtures.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { brokerEnv, createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const FIRST = 31527015322
const LAST = 31527015471

interface Out {
  did: string
  seq?: number
  operation?: { collection: string; rkey: string; action: string }
}

for (const store of ['kafka', 'file'] as const) {
  describe(`cursor store: ${store}`, () => {
    test('a restart resumes strictly after the saved cursor: every event once', async () => {
      const frames = readCorpusFrames()
      const topic = uniqueTopic(`cursor-${store}`)
      const dir = mkdtempSync(join(tmpdir(), 'atkafka-cursor-'))
      const storeArgs =
        store === 'kafka'
          ? ['--cursor-topic', `${topic}.cursors`, '--source-id', `test:${topic}`]
          : [
              '--cursor-store',
              'file',
              '--cursor-file',
              join(dir, 'cursor.json'),
              '--source-id',
              `test:${topic}`,
            ]
      await createTopic(topic, 2)
      try {
        {
          await using relay = await startFakeRelay({ frames: frames.slice(0, 75) })
          await using run = await startApp('relay', [
            '--relay-host',
            relay.url,
            '--cursor',
            '0',
            '--output-topic',
            topic,
            ...storeArgs,
          ])
          await waitFor(
            async () => (await run.metric('atkafka_cursor_seq')) === FIRST + 74,
            'first half in Kafka',
          )
          await run.stop()
        }
        if (store === 'file') {
          const saved = JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8')) as { seq: number }
          assert.equal(saved.seq, FIRST + 74)
        } else {
          const records = await readTopic(`${topic}.cursors`, { count: 100, timeoutMs: 3000 })
          const last = JSON.parse(records.at(-1)?.value.toString() ?? '{}') as {
            seq: number
            sourceId: string
          }
          assert.equal(last.seq, FIRST + 74)
          assert.equal(last.sourceId, `test:${topic}`)
        }
        {
          // second run: no --cursor, so the stored one is used
          await using relay = await startFakeRelay({ frames })
          await using run = await startApp('relay', [
            '--relay-host',
            relay.url,
            '--output-topic',
            topic,
            ...storeArgs,
          ])
          await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === LAST, 'second half in Kafka')
          await run.stop()
          assert.deepEqual(
            relay.connections.map((c) => c.cursor),
            [String(FIRST + 74)],
          )
        }
        const got = (await readTopic(topic, { count: 152 })).map((m) => JSON.parse(m.value.toString()) as Out)
        assert.equal(got.length, 152)
        const ops = got
          .filter((e) => e.operation)
          .map((e) => `${e.did}/${e.operation?.collection}/${e.operation?.rkey}`)
        assert.equal(new Set(ops).size, 150)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}

describe('kill -9 during a long replay', () => {
  test('restarted after every SIGKILL, at-least-once: no seq is lost', async (t) => {
    // a failed assertion must not leave an atkafka process behind (it would keep the test alive)
    const children = new Set<ChildProcess>()
    t.after(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    })
    const count = Number(process.env.ATKAFKA_KILL_TEST_FRAMES ?? 30_000)
    const kills = Number(process.env.ATKAFKA_KILL_TEST_KILLS ?? 5)
    // paced, so that a busy machine cannot let one run reach the end before its kill point
    await using relay = await startFakeRelay({
      frames: resequenced(readCorpusFrames(), count, 1),
      ratePerSecond: Math.max(1000, Math.floor(count / 10)),
    })
    const topic = uniqueTopic('kill')
    await createTopic(topic, 4)
    const args = [
      join(repoRoot, 'bin', 'atkafka.js'),
      'firehose',
      'relay',
      '--relay-host',
      relay.url,
      '--bootstrap-servers',
      brokerEnv().bootstrap,
      '--output-topic',
      topic,
      '--cursor-topic',
      `${topic}.cursors`,
      '--source-id',
      `test:${topic}`,
      '--cursor-save-interval-ms',
      '100',
      '--metrics-address',
      '127.0.0.1:0',
      '--log-level',
      'warn',
    ]
    const start = (first: boolean): ChildProcess => {
      const child = spawn(process.execPath, first ? [...args, '--cursor', '0'] : args, {
        stdio: ['ignore', 'ignore', 'inherit'],
      })
      children.add(child)
      return child
    }
    const sentAtLeast = async (n: number) => waitFor(() => relay.sent >= n, `relay sent ${n}`, 120_000)
    // kill points: random, increasing, spread over the first 80 % of the stream (relay.sent also
    // counts frames sent again after a restart, so each point is reached during its own run)
    const span = Math.floor((count * 0.8) / kills)
    for (let k = 0; k < kills; k++) {
      const child = start(k === 0)
      await sentAtLeast(k * span + Math.floor(span / 4) + Math.floor(Math.random() * (span / 2)))
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
    }
    // a last run that finishes the stream and stops cleanly
    const last = start(false)
    const lastSeqSeen = async () => {
      const records = await readTopic(`${topic}.cursors`, { count: 100_000, timeoutMs: 1500 })
      return (JSON.parse(records.at(-1)?.value.toString() ?? '{"seq":0}') as { seq: number }).seq
    }
    await waitFor(async () => (await lastSeqSeen()) === count, 'cursor at the last seq', 120_000)
    last.kill('SIGTERM')
    await new Promise((r) => last.once('exit', r))

    const seqs = new Set<number>()
    let messages = 0
    for (const m of await readTopic(topic, { count: count * 2, timeoutMs: 120_000, idleMs: 3000 })) {
      const e = JSON.parse(m.value.toString()) as Out
      if (e.seq !== undefined) seqs.add(e.seq)
      messages++
    }
    const missing: number[] = []
    for (let s = 1; s <= count; s++) if (!seqs.has(s)) missing.push(s)
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} seqs lost`)
    process.stdout.write(
      `kill -9 test: ${count} frames, ${kills} kills, ${messages} messages for ${seqs.size} seqs (${messages - Math.round((count * 152) / 150)} duplicates)\n`,
    )
  })
})
