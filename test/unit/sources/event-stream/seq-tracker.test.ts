import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSeqTracker } from '../../../../src/sources/event-stream/seq-tracker.ts'

test('safe() is the highest seq with nothing unfinished at or below it', () => {
  const t = createSeqTracker()
  assert.equal(t.safe(), undefined)
  const d10 = t.add(10)
  const d12 = t.add(12) // gaps in seq are allowed
  const d13 = t.add(13)
  assert.equal(t.last(), 13)
  d12()
  assert.equal(t.safe(), undefined, 'out-of-order completion does not move the cursor past 10')
  d10()
  assert.equal(t.safe(), 12)
  d13()
  assert.equal(t.safe(), 13)
})

test('starts from an initial cursor and compacts its buffer', () => {
  const t = createSeqTracker(100)
  assert.equal(t.safe(), 100)
  assert.equal(t.last(), 100)
  const done: (() => void)[] = []
  for (let s = 101; s <= 10_100; s++) done.push(t.add(s))
  for (const d of done.slice(0, 5000)) d()
  assert.equal(t.safe(), 5100)
  for (const d of done.slice(5000)) d()
  assert.equal(t.safe(), 10_100)
  const d = t.add(10_101)
  assert.equal(t.safe(), 10_100)
  d()
  assert.equal(t.safe(), 10_101)
})
