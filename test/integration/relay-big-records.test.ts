// Big records through the real broker. A burst of legal records near 1 MB (each under
// --max-message-bytes) used to make produce requests of 200+ MB that the broker refuses
// (socket.request.max.bytes), and a partial failure re-sent partitions already written: now
// every request and partition batch is bounded in bytes, and each record is written once in one
// run. Frames just under the frame limit full of multi-megabyte records and arrays are dropped
// undecoded (lexicon_limit) and the canaries between them go through; frames just under the
// lexicon's limit with the worst-case record (2 MB of empty maps, ~64 bytes of heap per byte)
// are decoded and end in the dead-letter topic. Peak RSS: bench/bytes-e2e.ts (a separate process).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bigRecord, commitFrame, postFrame, resequenced } from '../helpers/frame-tools.ts'
import { readTopic } from '../helpers/kafka.ts'
import { startRelayRun } from '../helpers/relay-run.ts'
import { waitFor } from '../helpers/run-app.ts'

const RECORD_BYTES = 950_000
const BURST = 300
const PARTITIONS = 4

/** 8 commits of one ~950 KB post each (random text: compression cannot shrink it), from 8 DIDs (so they spread over the partitions) */
async function burstTemplates(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let i = 0; i < 8; i++) {
    out.push(
      await commitFrame({
        seq: 1,
        repo: `did:plc:burst${i}aaaaaaaaaaaaaaaaaa`,
        ops: [
          { action: 'create', path: `app.bsky.feed.post/big${i}`, record: bigRecord(RECORD_BYTES, 'random') },
        ],
      }),
    )
  }
  return out
}

interface Out {
  seq: number
  operation: { rkey: string }
}

async function readAll(topic: string, isolation?: 'READ_COMMITTED') {
  const messages = await readTopic(topic, {
    count: BURST + 50,
    timeoutMs: 60_000,
    idleMs: 5000,
    ...(isolation ? { isolation } : {}),
  })
  return messages.map((m) => JSON.parse(m.value.toString()) as Out)
}

function assertEachSeqOnce(got: readonly Out[]) {
  const seqs = got.map((e) => e.seq).sort((a, b) => a - b)
  assert.equal(got.length, BURST, `${got.length} messages for ${BURST} records`)
  assert.deepEqual(
    seqs,
    Array.from({ length: BURST }, (_, i) => i + 1),
  )
}

describe('a burst of ~1 MB records', () => {
  test(`at-least-once: ${BURST} records of ${RECORD_BYTES} bytes over ${PARTITIONS} partitions, each once in one run`, async () => {
    await using started = await startRelayRun({
      relay: { frames: resequenced(await burstTemplates(), BURST, 1) },
      topicPrefix: 'burst',
      partitions: PARTITIONS,
    })
    const { relay, topic, run } = started
    await waitFor(
      async () => (await run.metric('atkafka_cursor_seq')) === BURST,
      `cursor at ${BURST}`,
      180_000,
    )
    await run.stop()
    assert.equal(relay.connections.length, 1)
    assert.equal(await run.metric('atkafka_produced_events', { status: 'ok' }), BURST)
    assert.equal(await run.metric('atkafka_produced_events', { status: 'dead_letter' }), 0)
    assertEachSeqOnce(await readAll(topic))
  })

  test(`exactly-once: the same burst, each once for read_committed`, async () => {
    await using started = await startRelayRun({
      relay: { frames: resequenced(await burstTemplates(), BURST, 1) },
      topicPrefix: 'burst-eos',
      partitions: PARTITIONS,
      args: (topic) => [
        '--cursor-store',
        'kafka',
        '--cursor-topic',
        `${topic}.cursors`,
        '--source-id',
        `test:${topic}`,
        '--exactly-once',
      ],
    })
    const { topic, run } = started
    await waitFor(
      async () => (await run.metric('atkafka_committed_cursor_seq')) === BURST,
      `cursor ${BURST} committed`,
      180_000,
    )
    await run.stop()
    assert.equal(await run.metric('atkafka_transactions_total', { result: 'aborted' }), 0)
    assertEachSeqOnce(await readAll(topic, 'READ_COMMITTED'))
  })
})

describe('a request the broker refuses for some partitions only', () => {
  test('only the refused partitions are sent again: each record once', async () => {
    // the topic takes 200 KB batches while atkafka is told 1 MB: a partition batch of two or
    // more 150 KB records is refused (MESSAGE_TOO_LARGE), one of a single record is written
    const templates: Uint8Array[] = []
    for (let i = 0; i < 8; i++) {
      templates.push(
        await commitFrame({
          seq: 1,
          repo: `did:plc:part${i}aaaaaaaaaaaaaaaaaaaa`,
          ops: [{ action: 'create', path: `app.bsky.feed.post/p${i}`, record: bigRecord(150_000, 'random') }],
        }),
      )
    }
    const count = 100
    await using started = await startRelayRun({
      relay: { frames: resequenced(templates, count, 1) },
      topicPrefix: 'partial',
      partitions: PARTITIONS,
      topicConfigs: { 'max.message.bytes': '200000' },
      args: ['--linger-ms', '50'],
    })
    const { topic, run } = started
    await waitFor(
      async () => (await run.metric('atkafka_cursor_seq')) === count,
      `cursor at ${count}`,
      180_000,
    )
    await run.stop()
    const partial = run.logs.filter(
      (l) => l.msg === 'produce refused for some partitions; sending only their records again, one by one',
    )
    assert.ok(partial.length > 0, 'the broker refused some partitions of a request')
    assert.ok(
      partial.some((l) => (l.written as number) > 0),
      'and wrote others of the same request',
    )
    assert.equal(await run.metric('atkafka_produced_events', { status: 'ok' }), count)
    const got = (await readTopic(topic, { count: count + 20, timeoutMs: 30_000, idleMs: 5000 })).map(
      (m) => (JSON.parse(m.value.toString()) as Out).seq,
    )
    assert.equal(got.length, count, `${got.length} messages for ${count} records`)
    assert.deepEqual(
      got.sort((a, b) => a - b),
      Array.from({ length: count }, (_, i) => i + 1),
    )
  })
})

describe('frames near the limits', () => {
  test('frames just under the frame limit (multi-MB records and arrays): dropped undecoded, the canaries between them go out', async () => {
    const frames: Uint8Array[] = []
    const canary = (seq: number) => postFrame(seq)
    const near = 8 * 1024 * 1024 - 4096
    let seq = 0
    for (const shape of ['text', 'ints', 'maps', 'text', 'ints', 'maps'] as const) {
      frames.push(await canary(++seq))
      // one record as large as the frame allows, or four of a quarter each
      const ops =
        seq % 2 === 0
          ? [
              {
                action: 'create' as const,
                path: `app.bsky.feed.post/big${seq}`,
                record: bigRecord(near - 2000, shape),
              },
            ]
          : Array.from({ length: 4 }, (_, i) => ({
              action: 'create' as const,
              path: `app.bsky.feed.post/big${seq}x${i}`,
              record: bigRecord(Math.floor(near / 4) - 2000, shape),
            }))
      const frame = await commitFrame({ seq: ++seq, ops })
      assert.ok(
        frame.length < 8 * 1024 * 1024 && frame.length > 8 * 1024 * 1024 - 64 * 1024,
        String(frame.length),
      )
      frames.push(frame)
    }
    frames.push(await canary(++seq))
    await using started = await startRelayRun({ relay: { frames }, topicPrefix: 'near-frame-limit' })
    const { topic, run } = started
    await started.untilCursor(seq, 120_000)
    await run.stop()
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'lexicon_limit' }), 6)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'FrameTooLarge' }), 0)
    const got = (await readTopic(topic, { count: 20, timeoutMs: 10_000, idleMs: 3000 })).map(
      (m) => (JSON.parse(m.value.toString()) as Out).operation.rkey,
    )
    assert.deepEqual(got, ['canary1', 'canary3', 'canary5', 'canary7', 'canary9', 'canary11', 'canary13'])
  })

  test('frames just under the lexicon limit with the worst-case record: decoded, dead-lettered, counted', async () => {
    const frames: Uint8Array[] = []
    let seq = 0
    for (const shape of ['maps', 'ints', 'text', 'maps'] as const) {
      frames.push(
        await commitFrame({
          seq: ++seq,
          ops: [
            { action: 'create', path: `app.bsky.feed.post/worst${seq}`, record: bigRecord(1_990_000, shape) },
          ],
        }),
      )
    }
    await using started = await startRelayRun({ relay: { frames }, topicPrefix: 'near-lexicon-limit' })
    const { topic, run } = started
    await started.untilCursor(seq, 120_000)
    await run.stop()
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'lexicon_limit' }), 0)
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'oversized_message' }), 4)
    const dead = await readTopic(`${topic}.dlq`, { count: 10, timeoutMs: 10_000, idleMs: 3000 })
    assert.equal(dead.length, 4)
    for (const m of dead) {
      const d = JSON.parse(m.value.toString()) as { reason: string; truncated: boolean; bytes: number }
      assert.equal(d.reason, 'oversized_message')
      assert.equal(d.truncated, true)
      assert.ok(d.bytes > 1_990_000)
    }
  })
})
