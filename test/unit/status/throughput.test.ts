import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addSample, ratesBetween, type Sample } from '../../../src/status/throughput.ts'

const s = (atMs: number, handled: number, produced = handled): Sample => ({ atMs, handled, produced })

describe('throughput', () => {
  test('the window keeps the samples within the span and the newest one older than it', () => {
    let w: Sample[] = []
    for (let t = 0; t <= 10_000; t += 1000) w = addSample(w, s(t, t / 10), 5000)
    assert.deepEqual(
      w.map((x) => x.atMs),
      [5000, 6000, 7000, 8000, 9000, 10_000],
    )
    // a gap: the one sample older than the span stays, so a rate can still be given
    w = addSample(w, s(60_000, 100), 5000)
    assert.deepEqual(
      w.map((x) => x.atMs),
      [10_000, 60_000],
    )
  })

  test('the first sample alone is kept', () => {
    assert.deepEqual(addSample([], s(0, 0), 5000), [s(0, 0)])
  })

  test('rates are per second between two samples; none without an older sample or elapsed time', () => {
    assert.deepEqual(ratesBetween(s(1000, 100, 90), s(6000, 350, 290)), {
      seconds: 5,
      handledPerSecond: 50,
      producedPerSecond: 40,
    })
    assert.equal(ratesBetween(undefined, s(0, 1)), undefined)
    assert.equal(ratesBetween(s(5, 1), s(5, 9)), undefined)
    // counters never go down; a reset (new metrics) reads as 0, not negative
    assert.equal(ratesBetween(s(0, 10), s(1000, 5))?.handledPerSecond, 0)
  })
})
