// The relay cursor survives restarts: saved (in Kafka or a file) only at seqs Kafka holds, loaded
// on start, so a restart — clean or kill -9 — loses nothing.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
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

// kill -9 during a long replay: test/integration/relay-kill.test.ts (100,050 ops, 20 kills, both modes)
