// A relay frame larger than --max-frame-bytes, between valid commits, through the real broker.
// It is never read, so its seq is unknown: skip (default) reconnects one seq past the last one
// received, counted, until a connection gets past it; stop ends the run naming the cursor and
// the limit. Either way the reconnects are few and their backoff grows, and the outcome is on
// /metrics and on the status page.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { StatusReport } from '../../src/status/status-report.ts'
import { bigRecord, commitFrame, postFrame } from '../helpers/frame-tools.ts'
import { readTopic } from '../helpers/kafka.ts'
import { startRelayRun } from '../helpers/relay-run.ts'

const fast = ['--reconnect-min-ms', '20', '--reconnect-max-ms', '400']

const post = (seq: number) => postFrame(seq, 'r')

/** valid commits with the given seqs, and at `bigSeq` a commit of about `bigBytes` */
async function frames(seqs: readonly number[], bigSeq: number, bigBytes: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (const seq of seqs) {
    if (seq === bigSeq) {
      out.push(
        await commitFrame({
          seq,
          ops: [{ action: 'create', path: 'app.bsky.feed.post/big', record: bigRecord(bigBytes) }],
        }),
      )
    } else out.push(await post(seq))
  }
  return out
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const rkeysOf = async (topic: string, count: number) =>
  (await readTopic(topic, { count: count + 5, timeoutMs: 6000, idleMs: 2000 })).map(
    (m) => (JSON.parse(m.value.toString()) as { operation: { rkey: string } }).operation.rkey,
  )
const attemptsOf = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => l.msg === 'connecting to relay').map((l) => l.attempt)

describe('a relay frame past the frame limit', () => {
  test('skip (default, 8 MiB limit): a 9 MiB frame is skipped, counted and shown; every other commit once', async () => {
    const seqs = range(1, 20)
    await using started = await startRelayRun({
      relay: { frames: await frames(seqs, 11, 9 * 1024 * 1024) },
      topicPrefix: 'oversized',
      partitions: 2,
      args: [...fast],
    })
    const { relay, topic, run } = started
    await started.untilCursor(20)
    const status = JSON.parse((await run.http('/status.json')).body) as StatusReport
    await run.stop()

    const rkeys = await rkeysOf(topic, 19)
    assert.deepEqual(
      rkeys.sort(),
      seqs
        .filter((s) => s !== 11)
        .map((s) => `r${s}`)
        .sort(),
    )
    // one reconnect, one seq further
    assert.deepEqual(
      relay.connections.map((c) => c.cursor),
      ['0', '11'],
    )
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'oversized_frame' }), 1)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'FrameTooLarge' }), 1)
    assert.equal(status.dropped.oversized_frame, 1)
    assert.equal(status.upstream.errors.FrameTooLarge, 1)
    const logged = status.logs.recent.find((e) => e.level === 'error')
    assert.ok(logged, 'the error is among the recent lines of the status page')
    assert.match(logged.msg, /larger than the frame limit; skipping it/)
    assert.equal(logged.fields.cursor, 10)
    assert.equal(logged.fields.maxFrameBytes, 8 * 1024 * 1024)
  })

  test('skip over a seq gap: one reconnect per missing seq, each one further and slower, nothing valid lost', async () => {
    // seqs 11-13 do not exist; the big frame is 14
    const seqs = [...range(1, 10), ...range(14, 20)]
    await using started = await startRelayRun({
      relay: { frames: await frames(seqs, 14, 100_000) },
      topicPrefix: 'oversized-gap',
      args: ['--max-frame-bytes', '65536', ...fast],
    })
    const { relay, topic, run } = started
    await started.untilCursor(20)
    await run.stop()

    const rkeys = await rkeysOf(topic, 16)
    assert.deepEqual(
      rkeys.sort(),
      seqs
        .filter((s) => s !== 14)
        .map((s) => `r${s}`)
        .sort(),
    )
    assert.deepEqual(
      relay.connections.map((c) => c.cursor),
      ['0', '11', '12', '13', '14'],
    )
    // the first reconnect follows a connection that delivered; each later one follows none
    assert.deepEqual(attemptsOf(run.logs), [0, 1, 2, 3, 4])
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'FrameTooLarge' }), 4)
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'oversized_frame' }), 4)
  })

  test('stop: the run ends naming the cursor and the limit; what came before is in Kafka, one connection', async () => {
    const seqs = range(1, 20)
    await using started = await startRelayRun({
      relay: { frames: await frames(seqs, 11, 100_000) },
      topicPrefix: 'oversized-stop',
      args: ['--max-frame-bytes', '65536', '--on-oversized-frame', 'stop', ...fast],
    })
    const { relay, topic, run } = started
    await assert.rejects(run.done, (err: Error) => {
      assert.equal(err.name, 'SourceProtocolError')
      assert.match(err.message, /larger than --max-frame-bytes=65536 right after cursor=10/)
      return true
    })
    assert.equal(relay.connections.length, 1)
    assert.equal(await run.metric('atkafka_cursor_seq'), 10)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'FrameTooLarge' }), 1)
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'oversized_frame' }), 0)
    assert.deepEqual(
      (await rkeysOf(topic, 10)).sort(),
      range(1, 10)
        .map((s) => `r${s}`)
        .sort(),
    )
  })

  test('a larger --max-frame-bytes reads the same frame: its record goes to the dead-letter topic', async () => {
    const seqs = range(1, 5)
    await using started = await startRelayRun({
      relay: { frames: await frames(seqs, 3, 1_500_000) },
      topicPrefix: 'oversized-raised',
      args: ['--max-frame-bytes', String(4 * 1024 * 1024)],
    })
    const { topic, run } = started
    await started.untilCursor(5)
    await run.stop()
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'oversized_message' }), 1)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'FrameTooLarge' }), 0)
    assert.equal((await readTopic(`${topic}.dlq`, { count: 1, timeoutMs: 6000 })).length, 1)
  })
})
