// Kafka error ids are found where @platformatic/kafka puts them: a broker's per-topic error
// inside a ResponseError inside a MultipleErrors (the shape CreateTopics fails with when the
// topic exists, read off the real broker), or behind a cause.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { findKafkaError } from '../../../src/kafka/kafka-errors.ts'

const protocolError = (apiId: string) =>
  Object.assign(new Error('Topic with this name already exists.'), { apiId })
const nested = (inner: Error) =>
  new AggregateError([new AggregateError([inner], 'Received response with error')], 'Creating topics failed.')

test('an id nested in aggregate errors and causes is found; none is undefined', () => {
  const exists = (id: string) => (id === 'TOPIC_ALREADY_EXISTS' ? id : undefined)
  assert.equal(findKafkaError(nested(protocolError('TOPIC_ALREADY_EXISTS')), exists), 'TOPIC_ALREADY_EXISTS')
  assert.equal(
    findKafkaError(new Error('wrapped', { cause: nested(protocolError('TOPIC_ALREADY_EXISTS')) }), exists),
    'TOPIC_ALREADY_EXISTS',
  )
  assert.equal(findKafkaError(nested(protocolError('REQUEST_TIMED_OUT')), exists), undefined)
  assert.equal(findKafkaError(new Error('plain'), exists), undefined)
  assert.equal(findKafkaError(undefined, exists), undefined)
})
