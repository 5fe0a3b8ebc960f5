import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelay } from '../../../src/sources/backoff.ts'

test('backoff doubles from min up to max, jittered within the upper half', () => {
  assert.equal(backoffDelay(0, 500, 30_000), 0)
  assert.equal(
    backoffDelay(1, 500, 30_000, () => 0),
    250,
  )
  assert.equal(
    backoffDelay(1, 500, 30_000, () => 1),
    500,
  )
  assert.equal(
    backoffDelay(3, 500, 30_000, () => 1),
    2000,
  )
  assert.equal(
    backoffDelay(20, 500, 30_000, () => 1),
    30_000,
  )
  assert.equal(
    backoffDelay(20, 500, 30_000, () => 0),
    15_000,
  )
})
