// The produce-request bounds (records, bytes per request, bytes per partition batch), the
// reading of a partly failed produce, and the planner's use of the topics' partition counts.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AtkafkaProducer } from '../../../src/kafka/create-producer.ts'
import type { OutboundRecord } from '../../../src/pipeline/types.ts'
import { requestPlanner } from '../../../src/sink/kafka/kafka-sink.ts'
import { createPartitions, produceOutcome } from '../../../src/sink/kafka/partitions.ts'
import { type Measured, requestLength } from '../../../src/sink/kafka/request-bounds.ts'
import { SendQueue } from '../../../src/sink/kafka/send-queue.ts'

const item = (bytes: number, partition = 'p:0'): Measured => ({ bytes, partition })
const len = (items: Measured[], records = 100, requestBytes = 1000, partitionBytes = 400) =>
  requestLength(items, { records, requestBytes, partitionBytes }, (m) => m)

describe('requestLength', () => {
  test('stops at the record count', () => {
    assert.equal(len([item(1), item(1), item(1)], 2), 2)
    assert.equal(len([], 2), 0)
  })

  test('stops before a partition batch would pass its bound; other partitions are not looked past', () => {
    assert.equal(len([item(200), item(200)]), 2, '400 bytes fit')
    assert.equal(len([item(200), item(200), item(1)]), 2, '401 do not')
    assert.equal(
      len([item(200), item(201), item(1, 'p:1')]),
      1,
      'the prefix ends at the record that does not fit',
    )
    assert.equal(len([item(200, 'p:0'), item(300, 'p:1'), item(200, 'p:0')]), 3)
  })

  test('stops before the request would pass its bound', () => {
    const spread = [0, 1, 2, 3].map((p) => item(300, `p:${p}`))
    assert.equal(len(spread), 3, '900 of 1000 bytes; a fourth makes 1200')
  })

  test('a record larger than a batch goes alone in its partition, and the first of a request always goes', () => {
    assert.equal(len([item(5000)]), 1)
    assert.equal(len([item(500, 'p:0'), item(100, 'p:1')]), 2, 'alone in p:0, p:1 beside it')
    assert.equal(len([item(500, 'p:0'), item(100, 'p:0')]), 1)
    assert.equal(len([item(100, 'p:1'), item(950, 'p:0')]), 1, 'past the request bound unless first')
  })
})

describe('produceOutcome', () => {
  // the shapes @platformatic/kafka 2.12.1 gives: a ResponseError with the Produce response,
  // wrapped in MultipleErrors by retries, with `produced` for the requests that succeeded
  const response = (parts: [string, number, number][]) => ({
    responses: [...new Set(parts.map(([t]) => t))].map((name) => ({
      name,
      partitionResponses: parts
        .filter(([t]) => t === name)
        .map(([, index, errorCode]) => ({ index, errorCode })),
    })),
  })

  test('partitions answered 0 are written, the others refused; produced offsets are written', () => {
    const err = Object.assign(new Error('Producing messages failed.'), {
      produced: { offsets: [{ topic: 'other', partition: 2, offset: 10n }] },
      errors: [
        Object.assign(new Error('Received response with error'), {
          response: response([
            ['t', 0, 0],
            ['t', 1, 10],
            ['t.dlq', 0, 0],
          ]),
        }),
      ],
    })
    const { written, refused } = produceOutcome(err)
    assert.deepEqual([...written].sort(), ['other:2', 't.dlq:0', 't:0'])
    assert.deepEqual([...refused], ['t:1'])
  })

  test('a partition written on a retry counts as written, though an earlier attempt failed it', () => {
    const first = Object.assign(new Error('attempt 1'), { response: response([['t', 0, 6]]) })
    const second = Object.assign(new Error('attempt 2'), {
      response: response([
        ['t', 0, 0],
        ['t', 1, 10],
      ]),
    })
    const { written, refused } = produceOutcome(
      Object.assign(new Error('produce failed 2 times'), { errors: [first, second] }),
    )
    assert.deepEqual([...written], ['t:0'])
    assert.deepEqual([...refused], ['t:1'])
  })

  test('an error without answers says nothing: neither written nor refused', () => {
    const { written, refused } = produceOutcome(new Error('timeout', { cause: new Error('socket closed') }))
    assert.equal(written.size + refused.size, 0)
  })
})

describe('requestPlanner', () => {
  const options = {
    batchSize: 100,
    lingerMs: 0,
    maxMessageBytes: 1000,
    deadLetterTopic: 'dlq',
    maxRequestBytes: 10_000,
    maxBatchBytes: 5000,
  }
  const record = (topic: string): OutboundRecord => ({ topic, key: 'did:plc:k', value: Buffer.alloc(10) })

  test('records queued while the partition counts are read are left to the next request', async () => {
    let answer: (() => void) | undefined
    const asked: string[][] = []
    const producer = {
      metadata: ({ topics }: { topics: string[] }) => {
        asked.push([...topics].sort())
        return new Promise((resolve) => {
          answer = () => resolve({ topics: new Map(topics.map((t) => [t, { partitionsCount: 2 }])) })
        })
      },
    } as unknown as AtkafkaProducer
    const planner = requestPlanner(options, createPartitions(producer))
    const queue = new SendQueue()
    void queue.push([record('a'), record('a')])
    const planned = planner.next(queue)
    // a routed record for a topic not read yet arrives while the metadata is on its way
    void queue.push([record('b')])
    answer?.()
    assert.equal(await planned, 2)
    assert.deepEqual(asked, [['a', 'dlq']])
  })
})
