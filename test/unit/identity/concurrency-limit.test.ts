// At most N calls at once; the rest wait in order or give up with their signal.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createConcurrencyLimit } from '../../../src/identity/concurrency-limit.ts'

test('at most max calls run at once; a waiter whose signal aborts leaves the queue; slots pass on in order', async () => {
  const limit = createConcurrencyLimit(2)
  const releases: (() => void)[] = []
  const started: number[] = []
  const call = (i: number, signal = new AbortController().signal) =>
    limit.run(signal, () => {
      started.push(i)
      return new Promise<number>((resolve) => releases.push(() => resolve(i)))
    })
  const a = call(1)
  const b = call(2)
  const c = call(3)
  const gaveUp = new AbortController()
  const d = call(4, gaveUp.signal)
  const e = call(5)
  await Promise.resolve()
  assert.deepEqual(started, [1, 2])
  assert.equal(limit.active, 2)
  assert.equal(limit.waiting, 3)
  gaveUp.abort(new Error('deadline'))
  await assert.rejects(d, /deadline/)
  assert.equal(limit.waiting, 2)
  releases[0]!()
  assert.equal(await a, 1)
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(started, [1, 2, 3])
  assert.equal(limit.active, 2)
  releases[1]!()
  releases[2]!()
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(started, [1, 2, 3, 5])
  releases[3]!()
  assert.deepEqual(await Promise.all([b, c, e]), [2, 3, 5])
  assert.equal(limit.active, 0)
  assert.equal(limit.waiting, 0)
})
