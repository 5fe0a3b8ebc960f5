// The topic gate: records for a topic not created yet wait for it, later sends keep their
// order, the template limit and Kafka's refusals send records to the default topic.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { OutboundRecord, Sink } from '../../../src/pipeline/types.ts'
import { createTopicGate, type FallbackReason } from '../../../src/sink/topic-gate.ts'

const rec = (topic: string, key = 'did:plc:a'): OutboundRecord => ({ topic, key, value: Buffer.from('{}') })

/** a sink that keeps what it was given, in order (the real one is tested against the broker) */
function recordingSink() {
  const sent: string[][] = []
  const sink: Sink = {
    send: async (records) => {
      sent.push(records.map((r) => r.topic))
    },
    close: async () => {},
  }
  return { sink, sent }
}

function deferred() {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('createTopicGate', () => {
  test('known topics pass straight through; a new one is created first and later sends wait their turn', async () => {
    const { sink, sent } = recordingSink()
    const creating = deferred()
    const created: string[] = []
    const gate = createTopicGate(sink, {
      defaultTopic: 'out',
      ready: ['out', 'posts'],
      templateTopicsAtStart: 0,
      maxTemplateTopics: 10,
      create: async (t) => {
        created.push(t)
        await creating.promise
      },
      onFallback: () => assert.fail('no fallback'),
      onRerouted: () => assert.fail('no reroute'),
    })
    await gate.send([rec('posts'), rec('out')])
    assert.deepEqual(sent, [['posts', 'out']])
    const a = gate.send([rec('atproto.x.y.z'), rec('posts')])
    const b = gate.send([rec('posts')])
    await new Promise((r) => setImmediate(r))
    // b waits behind a, although its topic exists
    assert.deepEqual(sent, [['posts', 'out']])
    assert.deepEqual(created, ['atproto.x.y.z'])
    creating.resolve()
    await Promise.all([a, b])
    assert.deepEqual(sent, [['posts', 'out'], ['atproto.x.y.z', 'posts'], ['posts']])
    // created once: the next record for it passes straight through
    await gate.send([rec('atproto.x.y.z')])
    assert.deepEqual(created, ['atproto.x.y.z'])
    assert.equal(sent.length, 4)
  })

  test('past the limit, and when Kafka refuses a topic, its records go to the default topic for the rest of the run', async () => {
    const { sink, sent } = recordingSink()
    const fallbacks: [string, FallbackReason][] = []
    const rerouted = { topic_limit: 0, create_failed: 0 }
    const gate = createTopicGate(sink, {
      defaultTopic: 'out',
      ready: ['out', 't.existing'],
      templateTopicsAtStart: 1,
      maxTemplateTopics: 3,
      create: async (t) => {
        if (t === 't.refused') throw new Error('InvalidTopicException')
      },
      onFallback: (t, reason) => fallbacks.push([t, reason]),
      onRerouted: (reason, n) => {
        rerouted[reason] += n
      },
    })
    await gate.send([rec('t.a'), rec('t.refused'), rec('t.b'), rec('t.c'), rec('t.a'), rec('t.c')])
    await gate.send([rec('t.c'), rec('t.refused'), rec('t.existing')])
    assert.deepEqual(fallbacks, [
      ['t.refused', 'create_failed'],
      ['t.c', 'topic_limit'],
    ])
    assert.deepEqual(sent, [
      ['t.a', 'out', 't.b', 'out', 't.a', 'out'],
      ['out', 'out', 't.existing'],
    ])
    assert.deepEqual(rerouted, { topic_limit: 3, create_failed: 2 })
  })

  test('a send the sink rejects rejects for its caller; the gate keeps going', async () => {
    const failing: Sink = {
      send: async (records) => {
        if (records.some((r) => r.topic === 'bad')) throw new Error('produce failed')
      },
      close: async () => {},
    }
    const gate = createTopicGate(failing, {
      defaultTopic: 'out',
      ready: ['out'],
      templateTopicsAtStart: 0,
      maxTemplateTopics: 5,
      create: async () => {},
      onFallback: () => {},
      onRerouted: () => {},
    })
    await assert.rejects(gate.send([rec('bad')]), /produce failed/)
    await gate.send([rec('good')])
    await gate.close()
  })
})
