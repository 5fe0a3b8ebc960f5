// --exactly-once end to end through the real broker: events and the cursor commit in one
// transaction, a read_committed consumer sees each event once, a restart resumes from the
// committed cursor; the option needs the Kafka cursor store (Tap takes it with the option).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/cli/commands.ts'
import { ConfigError } from '../../src/errors.ts'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { compareOps } from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { resequence } from '../helpers/frame-tools.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

describe('exactly-once mode', () => {
  test('a stop and a restart: each op once for read_committed, the cursor committed with the events', async () => {
    const frames = resequence(readCorpusFrames(), 600, 1)
    const topic = uniqueTopic('eos')
    await createTopic(topic, 3)
    const args = [
      '--output-topic',
      topic,
      '--cursor-topic',
      `${topic}.cursors`,
      '--source-id',
      `test:${topic}`,
      '--exactly-once',
      '--transaction-interval-ms',
      '100',
      '--transaction-max-events',
      '200',
    ]
    {
      await using relay = await startFakeRelay({ frames: frames.slice(0, 300) })
      await using run = await startApp('relay', ['--relay-host', relay.url, '--cursor', '0', ...args])
      await waitFor(
        async () => (await run.metric('atkafka_committed_cursor_seq')) === 300,
        'cursor 300 committed',
      )
      assert.ok((await run.metric('atkafka_transactions_total', { result: 'committed' })) >= 2)
      await run.stop()
    }
    {
      // no --cursor: the committed one
      await using relay = await startFakeRelay({ frames })
      await using run = await startApp('relay', ['--relay-host', relay.url, ...args])
      await waitFor(
        async () => (await run.metric('atkafka_committed_cursor_seq')) === 600,
        'cursor 600 committed',
      )
      await run.stop()
      assert.deepEqual(
        relay.connections.map((c) => c.cursor),
        ['300'],
      )
    }
    const committed = await readTopic(topic, {
      count: 10_000,
      timeoutMs: 20_000,
      idleMs: 3000,
      isolation: 'READ_COMMITTED',
    })
    const result = compareOps(
      committed.map((m) => m.value),
      600,
    )
    assert.deepEqual(
      { lost: result.lost, duplicated: result.duplicated },
      { lost: 0, duplicated: 0 },
      result.examples.join('\n'),
    )
    assert.equal(result.read, 600)
    const cursors = await readTopic(`${topic}.cursors`, {
      count: 1000,
      timeoutMs: 5000,
      idleMs: 1500,
      isolation: 'READ_COMMITTED',
    })
    assert.equal((JSON.parse(cursors.at(-1)?.value.toString() ?? '{}') as { seq: number }).seq, 600)
  })

  test('--exactly-once needs the Kafka cursor store; Tap takes it with the option, and refuses it without acks', () => {
    const tap = loadConfig('tap', ['--bootstrap-servers', 'localhost:9092', '--exactly-once'], {})
    assert.equal(tap.cursorStore, 'kafka', '--exactly-once brings the Kafka store')
    assert.equal(tap.sourceId, 'tap:ws://localhost:2480')
    assert.equal(loadConfig('tap', ['--bootstrap-servers', 'localhost:9092'], {}).cursorStore, 'none')
    assert.throws(
      () =>
        loadConfig('tap', ['--bootstrap-servers', 'localhost:9092', '--exactly-once', '--disable-acks'], {}),
      (err: unknown) => err instanceof ConfigError && /--disable-acks/.test(err.message),
    )
    assert.throws(
      () =>
        loadConfig(
          'tap',
          ['--bootstrap-servers', 'localhost:9092', '--exactly-once', '--cursor-store', 'none'],
          {},
        ),
      (err: unknown) => err instanceof ConfigError && /cursor-store kafka/.test(err.message),
    )
    assert.throws(
      () =>
        loadConfig(
          'relay',
          ['--bootstrap-servers', 'localhost:9092', '--exactly-once', '--cursor-store', 'file'],
          {},
        ),
      (err: unknown) => err instanceof ConfigError && /cursor-store kafka/.test(err.message),
    )
  })
})
