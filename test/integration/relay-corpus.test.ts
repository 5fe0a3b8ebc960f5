// The 150 recorded live frames, served by a local relay, through atkafka, into the real broker,
// read back and compared with production Jetstream's output for the same events.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type JetstreamEvent, readCorpusFrames, readExpectedV1 } from '../helpers/corpus.ts'
import { infoFrame } from '../helpers/frame-tools.ts'
import { readTopic } from '../helpers/kafka.ts'
import { assertValid } from '../helpers/output-schemas.ts'
import { replayThroughAtkafka } from '../helpers/relay-run.ts'

interface StandardEvent {
  did: string
  timestamp: string
  seq?: number
  operation?: {
    action: string
    collection: string
    rkey: string
    uri: string
    cid: string
    path: string
    rev: string
    record: unknown
  }
  identity?: { seq: number; handle: string }
  account?: { seq: number; active: boolean; status?: string }
}

describe('relay mode: recorded live frames → Kafka', () => {
  test('every op, identity and account event matches production Jetstream', async () => {
    const frames = readCorpusFrames()
    const expected = readExpectedV1() as JetstreamEvent[]
    assert.equal(frames.length, 150)
    const { run, topic } = await replayThroughAtkafka({
      relay: { frames },
      untilCursor: 31527015471,
      partitions: 4,
      topicPrefix: 'corpus',
    })

    const messages = await readTopic(topic, { count: expected.length })
    assert.equal(messages.length, expected.length)
    const got = messages.map((m) => ({
      key: m.key.toString(),
      event: JSON.parse(m.value.toString()) as StandardEvent,
    }))
    for (const { key, event } of got) assert.equal(key, event.did, 'keyed by DID')
    // every message is what docs/schemas/event.schema.json describes
    assertValid(
      'event',
      got.map((g) => g.event),
    )
    // per DID, Kafka holds the events in firehose (seq) order
    const lastSeq = new Map<string, number>()
    for (const { event } of got) {
      const seq = event.seq ?? 0
      assert.ok(seq >= (lastSeq.get(event.did) ?? 0), `order of ${event.did}`)
      lastSeq.set(event.did, seq)
    }

    const ops = got.map((g) => g.event).filter((e) => e.operation)
    assert.equal(ops.length, 150)
    let compared = 0
    for (const want of expected) {
      if (want.kind === 'commit' && want.commit) {
        const c = want.commit
        const match = ops.find(
          (e) =>
            e.did === want.did && e.operation?.collection === c.collection && e.operation.rkey === c.rkey,
        )
        assert.ok(match?.operation, `op ${want.did}/${c.collection}/${c.rkey} reached Kafka`)
        const op = match.operation
        assert.equal(op.action, c.operation)
        assert.equal(op.rev, c.rev)
        assert.equal(op.path, `${c.collection}/${c.rkey}`)
        assert.equal(op.uri, `at://${want.did}/${c.collection}/${c.rkey}`)
        assert.equal(op.cid, c.cid ?? '')
        // Jetstream leaves a delete's record out; atkafka writes null, as the Go original
        assert.deepEqual(op.record, c.record ?? null, `record of ${op.uri}`)
        assert.ok(typeof match.seq === 'number' && match.seq >= 31527015322 && match.seq <= 31527015471)
        compared++
      } else if (want.kind === 'identity' && want.identity) {
        const e = got.find((g) => g.event.identity)?.event
        assert.equal(e?.did, want.identity.did)
        assert.equal(e?.timestamp, want.identity.time)
        assert.equal(e?.identity?.seq, want.identity.seq)
        assert.equal(e?.identity?.handle, want.identity.handle ?? '')
        compared++
      } else if (want.kind === 'account' && want.account) {
        const e = got.find((g) => g.event.account)?.event
        assert.equal(e?.did, want.account.did)
        assert.equal(e?.timestamp, want.account.time)
        assert.equal(e?.account?.seq, want.account.seq)
        assert.equal(e?.account?.active, want.account.active)
        assert.equal(e?.account?.status, want.account.status)
        compared++
      }
    }
    assert.equal(compared, 152)
    assert.equal(await run.metric('atkafka_produced_events', { status: 'ok' }), 152)
    const creates = (await run.app.metrics.registry.getSingleMetric('atkafka_handled_events')?.get())?.values
      .filter((v) => v.labels.action_name === 'operation#create')
      .reduce((s, v) => s + v.value, 0)
    assert.equal(creates, 144)
  })

  test('Osprey format, event-derived ids, an #info frame: every message matches docs/schemas/osprey-envelope.schema.json', async () => {
    // an #info between two commits (the relay replays from the first seq after the cursor)
    const [first, ...rest] = readCorpusFrames()
    const frames = [first!, infoFrame('OutdatedCursor', 'cursor is older than the window'), ...rest]
    const { topic } = await replayThroughAtkafka({
      relay: { frames },
      untilCursor: 31527015471,
      partitions: 4,
      topicPrefix: 'corpus-osprey',
      args: ['--osprey-compatible', '--osprey-action-id', 'event'],
    })
    const messages = await readTopic(topic, { count: 153 })
    assert.equal(messages.length, 153)
    const values = messages.map((m) => JSON.parse(m.value.toString()) as { data: { action_name: string } })
    assertValid('osprey-envelope', values)
    const names = new Set(values.map((v) => v.data.action_name))
    for (const name of ['operation#create', 'operation#delete', 'account', 'identity', 'info'])
      assert.ok(names.has(name), name)
    const info = messages.find((m) => m.key.toString() === '<unknown>')
    assert.ok(info, 'the info event, keyed <unknown>')
  })
})
