// Kafka's fencing answers, found in the client's nested errors, and the sink wrapper that reports them.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Sink } from '../../../src/pipeline/types.ts'
import { fencingError, writerSink } from '../../../src/standby/fencing.ts'

// the shape @platformatic/kafka gave a fenced produce (see docs/guarantees.md): an aggregate of
// per-partition protocol errors, wrapped by the sink
const producedFenced = new Error('staging records in the transaction failed', {
  cause: Object.assign(new AggregateError([], 'Producing messages failed.'), {
    errors: [
      Object.assign(new AggregateError([], 'Received response with error'), {
        errors: [
          Object.assign(new Error('Producer attempted to produce with an old epoch.'), {
            apiId: 'INVALID_PRODUCER_EPOCH',
          }),
        ],
      }),
    ],
  }),
})

test('PRODUCER_FENCED and INVALID_PRODUCER_EPOCH are fencing; other broker errors are not', () => {
  assert.equal(fencingError(producedFenced), 'INVALID_PRODUCER_EPOCH')
  assert.equal(fencingError(Object.assign(new Error('x'), { apiId: 'PRODUCER_FENCED' })), 'PRODUCER_FENCED')
  assert.equal(fencingError(Object.assign(new Error('x'), { apiId: 'MESSAGE_TOO_LARGE' })), undefined)
  assert.equal(fencingError(new Error('socket hang up')), undefined)
})

test("the writer's sink reports fencing at the failed send and still rejects it; other failures pass unreported", async () => {
  const fenced: string[] = []
  let fail: unknown
  let sent = 0
  let holds = true
  const sink: Sink = {
    send: async () => {
      sent++
      if (fail) throw fail
    },
    close: async () => {},
  }
  const wrapped = writerSink(sink, { holds: () => holds, onFenced: (apiId) => fenced.push(apiId) })
  assert.equal(wrapped.ready, undefined, 'no ready() where the sink has none')
  await wrapped.send([])
  fail = new Error('broker down')
  await assert.rejects(wrapped.send([]), /broker down/)
  assert.deepEqual(fenced, [])
  fail = producedFenced
  await assert.rejects(wrapped.send([]), /staging records/)
  assert.deepEqual(fenced, ['INVALID_PRODUCER_EPOCH'])
  holds = false
  fail = undefined
  const before = sent
  await assert.rejects(wrapped.send([]), { name: 'WriterFencedError' })
  assert.equal(sent, before, 'nothing reaches Kafka once the role is lost')
})
