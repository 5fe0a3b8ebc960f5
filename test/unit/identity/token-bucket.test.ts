import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTokenBucket } from '../../../src/identity/token-bucket.ts'

test('a burst is granted at once, then tokens come at the rate (clock injected)', async () => {
  let now = 0
  const bucket = createTokenBucket(10, 3, () => now)
  let granted = 0
  for (let i = 0; i < 3; i++) await bucket.acquire().then(() => granted++)
  assert.equal(granted, 3)
  // empty: the next one waits for the clock; advance it by one token's worth
  const pending = bucket.acquire().then(() => granted++)
  now += 100
  await pending
  assert.equal(granted, 4)
})

test('a waiting acquire rejects when its signal aborts (the lookup deadline)', async () => {
  const bucket = createTokenBucket(0.001, 1)
  await bucket.acquire()
  const controller = new AbortController()
  const waiting = bucket.acquire(controller.signal)
  controller.abort(new Error('deadline'))
  await assert.rejects(waiting, /deadline/)
})

test('rate 0 is unlimited', async () => {
  const bucket = createTokenBucket(0)
  for (let i = 0; i < 1000; i++) await bucket.acquire()
})
