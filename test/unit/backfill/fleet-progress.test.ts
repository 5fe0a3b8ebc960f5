// The fleet's progress from sampled offsets: left, the rate over the window, the ETA.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addFleetSample, type FleetSample, fleetProgress } from '../../../src/backfill/fleet-progress.ts'

test('left, rate and ETA from the samples; none before two samples; 0 when all is consumed', () => {
  assert.equal(fleetProgress([]), null)
  let samples: FleetSample[] = addFleetSample([], { atMs: 0, items: 1000, consumed: 0 })
  assert.deepEqual(fleetProgress(samples), {
    items: 1000,
    consumed: 0,
    left: 1000,
    itemsPerSecond: null,
    seconds: 0,
    etaSeconds: null,
  })
  samples = addFleetSample(samples, { atMs: 10_000, items: 1000, consumed: 100 })
  assert.deepEqual(fleetProgress(samples), {
    items: 1000,
    consumed: 100,
    left: 900,
    itemsPerSecond: 10,
    seconds: 10,
    etaSeconds: 90,
  })
  samples = addFleetSample(samples, { atMs: 20_000, items: 1000, consumed: 1000 })
  assert.equal(fleetProgress(samples)?.etaSeconds, 0)
})

test('the rate is that of the last five minutes', () => {
  let samples: FleetSample[] = []
  // 1 item/s for ten minutes, then 10/s for five
  for (let s = 0; s <= 600; s += 10)
    samples = addFleetSample(samples, { atMs: s * 1000, items: 1e6, consumed: s })
  for (let s = 610; s <= 900; s += 10)
    samples = addFleetSample(samples, { atMs: s * 1000, items: 1e6, consumed: 600 + (s - 600) * 10 })
  const p = fleetProgress(samples)
  assert.ok(p && p.seconds <= 300 && p.seconds >= 290, `${p?.seconds}`)
  assert.ok(p && p.itemsPerSecond! > 9.5, `${p?.itemsPerSecond}`)
  assert.ok(samples.length <= 32)
})
