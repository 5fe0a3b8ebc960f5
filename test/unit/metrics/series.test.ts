// Gauges that are not known yet are absent from /metrics, not 0 (a 0 reads as a position).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMetrics } from '../../../src/app-metrics.ts'

const sample = (text: string, name: string) =>
  text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))

test('atkafka_committed_cursor_seq and the cursor gauges are absent until known, then hold the value', async () => {
  const m = createMetrics()
  let text = await m.registry.metrics()
  for (const name of [
    'atkafka_committed_cursor_seq',
    'atkafka_cursor_seq',
    'atkafka_upstream_seq',
    'atkafka_lag_seconds',
  ])
    assert.equal(sample(text, name), undefined, `${name} has no sample before it is known`)
  assert.match(text, /# TYPE atkafka_committed_cursor_seq gauge/, 'the series is still declared')
  m.cursorCommitted(0)
  m.upstreamSeq(42)
  text = await m.registry.metrics()
  assert.equal(
    sample(text, 'atkafka_committed_cursor_seq'),
    'atkafka_committed_cursor_seq 0',
    'a real 0 is shown',
  )
  assert.equal(sample(text, 'atkafka_upstream_seq'), 'atkafka_upstream_seq 42')
  assert.equal(
    sample(text, 'atkafka_in_flight_events'),
    'atkafka_in_flight_events 0',
    'known-at-start gauges read 0',
  )
})

test('atkafka_writer: absent without --standby, read from the role on every scrape with it', async () => {
  const m = createMetrics()
  assert.equal(sample(await m.registry.metrics(), 'atkafka_writer'), undefined)
  let writer = true
  m.writer(() => writer)
  assert.equal(sample(await m.registry.metrics(), 'atkafka_writer'), 'atkafka_writer 1')
  writer = false
  assert.equal(sample(await m.registry.metrics(), 'atkafka_writer'), 'atkafka_writer 0')
})
