// The in-flight window: bounded in events and in bytes, whichever is reached first.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createInFlightWindow } from '../../../src/pipeline/in-flight-window.ts'

const tick = () => new Promise((r) => setImmediate(r))

test('room() waits while the window is full of events; drained() waits for zero', async () => {
  const sizes: number[] = []
  const w = createInFlightWindow({ events: 3, bytes: 1 << 30 }, (n) => sizes.push(n))
  w.add(2, 0)
  await w.room()
  w.add(2, 0)
  let roomy = false
  const room = w.room().then(() => (roomy = true))
  await Promise.resolve()
  assert.equal(roomy, false)
  w.release(1, 0)
  await tick()
  assert.equal(roomy, false, 'size 3 is still full')
  w.release(1, 0)
  await room
  assert.equal(roomy, true)
  let drained = false
  const d = w.drained().then(() => (drained = true))
  w.release(1, 0)
  await tick()
  assert.equal(drained, false)
  w.release(1, 0)
  await d
  assert.equal(w.size, 0)
  assert.deepEqual(sizes, [2, 4, 3, 2, 1, 0])
})

test('the byte limit fills the window with few events: room() waits until the bytes fall below it', async () => {
  const seen: [number, number][] = []
  const w = createInFlightWindow({ events: 1000, bytes: 100 }, (n, b) => seen.push([n, b]))
  w.add(1, 60)
  assert.equal(w.full, false)
  w.add(1, 60)
  assert.equal(w.full, true, '2 events, 120 bytes: full by bytes')
  let roomy = false
  const room = w.room().then(() => (roomy = true))
  await tick()
  assert.equal(roomy, false)
  w.release(1, 60)
  await room
  assert.equal(w.bytes, 60)
  assert.deepEqual(seen, [
    [1, 60],
    [2, 120],
    [1, 60],
  ])
})

test('one delivery larger than the byte limit still gets in, and the reader waits until it is released', async () => {
  const w = createInFlightWindow({ events: 1000, bytes: 100 })
  await w.room()
  w.add(3, 5000)
  assert.equal(w.full, true)
  let roomy = false
  const room = w.room().then(() => (roomy = true))
  await tick()
  assert.equal(roomy, false)
  w.release(3, 5000)
  await room
  assert.equal(w.size, 0)
  assert.equal(w.bytes, 0)
})
