// Relay mode under faults the real relay produces rarely: dropped sockets, error frames,
// malformed frames. Nothing may crash, everything is counted, nothing received is lost.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readCorpusFrames } from '../helpers/corpus.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { errorFrame, infoFrame, unknownFrame } from '../helpers/frame-tools.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { replayThroughAtkafka } from '../helpers/relay-run.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

const FIRST = 31527015322
const LAST = 31527015471
const fast = ['--reconnect-min-ms', '20', '--reconnect-max-ms', '200']

interface Out {
  did: string
  seq?: number
  operation?: { collection: string; rkey: string; action: string }
  info?: { name: string; message?: string }
}

const opKey = (e: Out) => `${e.did}/${e.operation?.collection}/${e.operation?.rkey}/${e.operation?.action}`

describe('relay mode under faults', () => {
  test('a socket dropped every 17 frames: every op arrives once, each reconnect resumes after the last seq', async () => {
    const { run, relay, topic } = await replayThroughAtkafka({
      relay: { frames: readCorpusFrames(), dropAfterFrames: 17 },
      untilCursor: LAST,
      args: fast,
      partitions: 2,
      topicPrefix: 'drops',
    })
    const got = (await readTopic(topic, { count: 152 })).map((m) => JSON.parse(m.value.toString()) as Out)
    assert.equal(got.length, 152)
    const ops = got.filter((e) => e.operation).map(opKey)
    assert.equal(ops.length, 150)
    assert.equal(new Set(ops).size, 150, 'no duplicates')
    // 150 frames / 17 per connection → 9 connections; each asked for the last seq it had
    assert.equal(relay.connections.length, 9)
    assert.equal(relay.connections[0]?.cursor, '0')
    for (let i = 1; i < relay.connections.length; i++) {
      assert.equal(relay.connections[i]?.cursor, String(FIRST + 17 * i - 1), `cursor of connection ${i}`)
    }
    assert.equal(await run.metric('atkafka_reconnects_total', { source: 'relay' }), 8)
  })

  test('error and info frames, unknown types, malformed frames: counted, the stream goes on', async () => {
    const frames = readCorpusFrames()
    const truncated = frames[5]?.subarray(0, 200) ?? new Uint8Array()
    const mixed = [
      ...frames.slice(0, 10),
      infoFrame('OutdatedCursor', 'cursor is older than the window'),
      truncated,
      ...frames.slice(10, 20),
      errorFrame('SomethingNew', 'an error name we do not know'),
      ...frames.slice(20),
      unknownFrame('#foo', LAST + 1), // a type from the future: skipped, counted, cursor moves past it
    ]
    // the unknown type at the end has a seq: it is skipped, counted, and the cursor moves past it
    const { run, topic } = await replayThroughAtkafka({
      relay: { frames: mixed },
      untilCursor: LAST + 1,
      args: fast,
      topicPrefix: 'mixed',
    })
    const got = (await readTopic(topic, { count: 153 })).map((m) => JSON.parse(m.value.toString()) as Out)
    assert.equal(got.filter((e) => e.operation).length, 150, 'all ops despite the junk')
    const info = got.filter((e) => e.info)
    assert.deepEqual(
      info.map((e) => [e.did, e.info?.name]),
      [['', 'OutdatedCursor']],
    )
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'unknown_kind' }), 1)
    assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'malformed_frame' }), 1)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'OutdatedCursor' }), 1)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'SomethingNew' }), 1)
  })

  test('a commit with a block that does not match its CID: that op is dropped and counted, the rest go out', async () => {
    const frames = readCorpusFrames()
      .slice(0, 30)
      .map((f) => new Uint8Array(f))
    // flip one byte near the end of a frame: inside its CAR blocks
    const victim = frames[3] as Uint8Array
    const corrupted = new Uint8Array(victim)
    corrupted[corrupted.length - 40] = (corrupted[corrupted.length - 40] ?? 0) ^ 0xff
    frames[3] = corrupted
    await using relay = await startFakeRelay({ frames })
    const topic = uniqueTopic('cid')
    await createTopic(topic)
    await using run = await startApp('relay', [
      '--relay-host',
      relay.url,
      '--cursor',
      '0',
      '--output-topic',
      topic,
    ])
    await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === FIRST + 29, 'cursor at frame 30')
    await run.stop()
    const drops =
      (await run.metric('atkafka_dropped_events_total', { reason: 'cid_mismatch' })) +
      (await run.metric('atkafka_dropped_events_total', { reason: 'invalid_record' })) +
      (await run.metric('atkafka_dropped_events_total', { reason: 'malformed_frame' })) +
      (await run.metric('atkafka_dropped_events_total', { reason: 'invalid_car' }))
    assert.ok(drops >= 1, 'the corruption was counted')
    const got = await readTopic(topic, { count: 30, timeoutMs: 4000 })
    assert.equal(got.length + drops, 30, 'every other op of the 30 frames reached Kafka')
  })

  test('FutureCursor ends the run with an error instead of silently resetting', async () => {
    const frames = readCorpusFrames().slice(0, 5)
    await using relay = await startFakeRelay({ frames })
    const topic = uniqueTopic('future')
    await createTopic(topic)
    const run = await startApp('relay', [
      '--relay-host',
      relay.url,
      '--cursor',
      String(LAST + 1000),
      '--output-topic',
      topic,
    ])
    await assert.rejects(run.done, /cursor is in its future/)
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'FutureCursor' }), 1)
  })

  test('--on-future-cursor live forgets the cursor and continues from the live head', async () => {
    const frames = readCorpusFrames()
    await using relay = await startFakeRelay({ frames: frames.slice(0, 10) })
    const topic = uniqueTopic('future-live')
    await createTopic(topic)
    await using run = await startApp('relay', [
      '--relay-host',
      relay.url,
      '--cursor',
      String(LAST + 1000),
      '--on-future-cursor',
      'live',
      '--cursor-store',
      'none',
      '--output-topic',
      topic,
      ...fast,
    ])
    await waitFor(() => relay.connections.length >= 2, 'a reconnect without the cursor')
    relay.append(frames.slice(10, 20))
    await waitFor(async () => (await run.metric('atkafka_cursor_seq')) === FIRST + 19, 'live frames in Kafka')
    await run.stop()
    assert.deepEqual(
      relay.connections.slice(0, 2).map((c) => c.cursor),
      [String(LAST + 1000), null],
    )
    assert.equal((await readTopic(topic, { count: 10, timeoutMs: 4000 })).length, 10)
  })

  test('--on-outdated-cursor stop ends the run when the relay says events were lost', async () => {
    const frames = readCorpusFrames()
    await using relay = await startFakeRelay({
      frames: [infoFrame('OutdatedCursor', 'too old'), ...frames.slice(0, 5)],
      startAtOldest: true,
    })
    const topic = uniqueTopic('outdated')
    await createTopic(topic)
    const run = await startApp('relay', [
      '--relay-host',
      relay.url,
      '--on-outdated-cursor',
      'stop',
      '--cursor-store',
      'none',
      '--output-topic',
      topic,
    ])
    await assert.rejects(run.done, /older than its window/)
  })

  test('ConsumerTooSlow is handled like a disconnect: reconnect and resume', async () => {
    const frames = readCorpusFrames()
    const withError = [...frames.slice(0, 50), errorFrame('ConsumerTooSlow', 'too slow'), ...frames.slice(50)]
    const { run, topic } = await replayThroughAtkafka({
      relay: { frames: withError },
      untilCursor: LAST,
      args: fast,
      topicPrefix: 'slow',
    })
    assert.equal(await run.metric('atkafka_upstream_errors_total', { name: 'ConsumerTooSlow' }), 1)
    const got = await readTopic(topic, { count: 152 })
    assert.equal(got.length, 152)
  })
})
