// The transactional sink's batching rule, against a recording stand-in for the producer (the
// real broker is exercised by test/integration/relay-exactly-once.test.ts and relay-kill): the
// records of one send call (one upstream delivery) are never split across two transactions,
// because the cursor committed with a transaction covers complete deliveries only.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { createMetrics } from '../../../src/app-metrics.ts'
import type { AtkafkaProducer } from '../../../src/kafka/create-producer.ts'
import type { OutboundRecord } from '../../../src/pipeline/types.ts'
import { createTransactionalSink } from '../../../src/sink/kafka/transactional-sink.ts'

type Log = { transactions: string[][] }

function recordingProducer(log: Log): AtkafkaProducer {
  const beginTransaction = async () => {
    const staged: string[] = []
    const txn = {
      completed: false,
      async send({ messages }: { messages: OutboundRecord[] }) {
        for (const m of messages) staged.push(m.value.toString())
      },
      async commit() {
        txn.completed = true
        log.transactions.push(staged)
      },
      async abort() {
        txn.completed = true
      },
    }
    return txn
  }
  // one partition per topic: the sink asks the metadata to place each record
  const metadata = async ({ topics }: { topics: string[] }) => ({
    topics: new Map(topics.map((t) => [t, { partitionsCount: 1 }])),
  })
  return { beginTransaction, metadata } as unknown as AtkafkaProducer
}

const record = (value: string): OutboundRecord => ({ topic: 't', key: 'k', value: Buffer.from(value) })

test('a send call is never split across transactions, even past the batch size and the event bound', async () => {
  const log: Log = { transactions: [] }
  let cursor = 0
  const committed: number[] = []
  const sink = createTransactionalSink(
    recordingProducer(log),
    {
      batchSize: 2,
      lingerMs: 0,
      maxMessageBytes: 1_000_000,
      deadLetterTopic: 't.dlq',
      maxRequestBytes: 16 * 1024 * 1024,
      maxBatchBytes: 1_000_000,
      intervalMs: 60_000,
      maxEvents: 2,
    },
    {
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      cursor: {
        position: () => cursor,
        record: (seq) => record(JSON.stringify({ seq })),
        committed: (seq) => committed.push(seq),
      },
    },
  )
  await sink.ready?.()
  // one delivery of three ops, then one of one op; each acked (cursor moved) once sent
  const first = sink.send([record('a1'), record('a2'), record('a3')]).then(() => {
    cursor = 1
  })
  const second = sink.send([record('b1')]).then(() => {
    cursor = 2
  })
  await Promise.all([first, second])
  await sink.close()
  assert.deepEqual(log.transactions, [
    ['a1', 'a2', 'a3', '{"seq":1}'],
    ['b1', '{"seq":2}'],
  ])
  assert.deepEqual(committed, [1, 2])
})

test('a position that moved with no record staged is committed alone; the start position is not', async () => {
  const log: Log = { transactions: [] }
  // the run started after position 5 (read back from the cursor topic)
  let position = 5
  let last: number | undefined = 5
  const committed: number[] = []
  let onCommit = () => {}
  const nextCommit = () =>
    new Promise<void>((resolve) => {
      onCommit = resolve
    })
  const sink = createTransactionalSink(
    recordingProducer(log),
    {
      batchSize: 10,
      lingerMs: 0,
      maxMessageBytes: 1_000_000,
      deadLetterTopic: 't.dlq',
      maxRequestBytes: 16 * 1024 * 1024,
      maxBatchBytes: 1_000_000,
      intervalMs: 10,
      maxEvents: 100,
    },
    {
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      cursor: {
        position: () => position,
        record: (seq) => record(JSON.stringify({ seq })),
        committed: (seq) => {
          last = seq
          committed.push(seq)
          onCommit()
        },
        last: () => last,
      },
    },
  )
  await sink.ready?.()
  let committing = nextCommit()
  await sink.send([record('a')]).then(() => {
    position = 6
  })
  await committing
  // every event after it was filtered out: no record, but the position moved
  committing = nextCommit()
  position = 9
  await committing
  await sink.close()
  assert.deepEqual(log.transactions, [['a', '{"seq":6}'], ['{"seq":9}']])
  assert.deepEqual(committed, [6, 9])
})
