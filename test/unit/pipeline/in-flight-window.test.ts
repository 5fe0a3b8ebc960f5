import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createInFlightWindow } from '../../../src/pipeline/in-flight-window.ts'

test('room() waits while the window is full; drained() waits for zero', async () => {
  const sizes: number[] = []
  const w = createInFlightWindow(3, (n) => sizes.push(n))
  w.add(2)
  await w.room()
  w.add(2)
  let roomy = false
  const room = w.room().then(() => (roomy = true))
  await Promise.resolve()
  assert.equal(roomy, false)
  w.release(1)
  await new Promise((r) => setImmediate(r))
  assert.equal(roomy, false, 'size 3 is still full')
  w.release(1)
  await room
  assert.equal(roomy, true)
  let drained = false
  const d = w.drained().then(() => (drained = true))
  w.release(1)
  await new Promise((r) => setImmediate(r))
  assert.equal(drained, false)
  w.release(1)
  await d
  assert.equal(w.size, 0)
  assert.deepEqual(sizes, [2, 4, 3, 2, 1, 0])
})
