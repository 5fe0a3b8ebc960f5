// The dead-letter record and the size check, on values with multi-byte characters: sizes are
// bytes, and a cut value stays within its room.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { createMetrics } from '../../../src/app-metrics.ts'
import { createDeadLetterRecord, createDeadLetters } from '../../../src/sink/kafka/dead-letter.ts'

const record = (value: string) => ({ topic: 'events', key: 'did:plc:abc', value: Buffer.from(value) })

test('a record is diverted when the bytes of its value and key, not its characters, exceed the limit', () => {
  const r = record('é'.repeat(500)) // 1,000 bytes, 500 characters
  const deps = { metrics: createMetrics(), logger: pino({ level: 'silent' }) }
  const fits = createDeadLetters({ deadLetterTopic: 'dlq', maxMessageBytes: 1_011 }, deps) // 1,000 + 11 key bytes
  assert.equal(fits.divertIfOversized(r), r)
  const over = createDeadLetters({ deadLetterTopic: 'dlq', maxMessageBytes: 1_010 }, deps)
  const diverted = over.divertOversized([record('ok'), r])
  assert.equal(diverted.diverted, 1)
  assert.equal(diverted.records[1]?.topic, 'dlq')
  assert.equal(JSON.parse(diverted.records[1]?.value.toString() ?? '').reason, 'oversized_message')
})

test('a dead-letter record names the reason, the original size in bytes, and carries the value', () => {
  const dl = createDeadLetterRecord(record('{"a":"é"}'), 'dlq', 'oversized_message', 'too big', 1_000_000)
  assert.equal(dl.topic, 'dlq')
  assert.equal(dl.key, 'did:plc:abc')
  assert.deepEqual(JSON.parse(dl.value.toString()), {
    reason: 'oversized_message',
    detail: 'too big',
    topic: 'events',
    key: 'did:plc:abc',
    bytes: 10,
    truncated: false,
    value: '{"a":"é"}',
  })
})

test('a value larger than half the limit is cut so that the dead-letter record fits', () => {
  const max = 4_096
  const dl = createDeadLetterRecord(record('€'.repeat(3_000)), 'dlq', 'oversized_message', 'x', max)
  const parsed = JSON.parse(dl.value.toString()) as { bytes: number; truncated: boolean; value: string }
  assert.equal(parsed.bytes, 9_000)
  assert.equal(parsed.truncated, true)
  assert.ok(dl.value.length <= max, `${dl.value.length} bytes`)
  // the cut lands inside a character at worst: what is left is whole euros plus one replacement
  assert.match(parsed.value, /^€+\uFFFD?$/)
})
