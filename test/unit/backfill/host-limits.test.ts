import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createHostLimits, retryAfterMs } from '../../../src/backfill/host-limits.ts'

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-07T10:00:00Z')
  const h = (o: Record<string, string>) => new Headers(o)
  test('seconds, an HTTP date, RateLimit-Reset as epoch seconds or as seconds from now; capped', () => {
    assert.equal(retryAfterMs(h({ 'retry-after': '3' }), now, 60_000), 3000)
    assert.equal(retryAfterMs(h({ 'retry-after': 'Mon, 07 Dec 2026 10:00:05 GMT' }), now, 60_000), 5000)
    assert.equal(retryAfterMs(h({ 'ratelimit-reset': String(now / 1000 + 7) }), now, 60_000), 7000)
    assert.equal(retryAfterMs(h({ 'ratelimit-reset': '2' }), now, 60_000), 2000)
    assert.equal(retryAfterMs(h({ 'retry-after': '86400' }), now, 60_000), 60_000)
    assert.equal(retryAfterMs(h({}), now, 60_000), undefined)
    assert.equal(retryAfterMs(h({ 'retry-after': 'soon' }), now, 60_000), undefined)
  })
})

describe('createHostLimits', () => {
  test('at most `concurrency` runs per host at once; other hosts are not held up', async () => {
    const limits = createHostLimits({ concurrency: 2, ratePerSec: 0 })
    const signal = new AbortController().signal
    let inA = 0
    let maxA = 0
    const gates: (() => void)[] = []
    const runA = () =>
      limits.run('a.example', signal, async () => {
        inA++
        maxA = Math.max(maxA, inA)
        await new Promise<void>((r) => gates.push(r))
        inA--
      })
    const as = [runA(), runA(), runA(), runA()]
    await new Promise((r) => setImmediate(r))
    assert.equal(inA, 2)
    assert.equal(limits.states().find((s) => s.host === 'a.example')?.waiting, 2)
    // another host runs while a.example is full
    assert.equal(await limits.run('b.example', signal, async () => 'b'), 'b')
    while (gates.length > 0 || inA > 0) {
      gates.shift()?.()
      await new Promise((r) => setImmediate(r))
    }
    await Promise.all(as)
    assert.equal(maxA, 2)
    assert.equal(limits.states().find((s) => s.host === 'a.example')?.inFlight, 0)
  })

  test('a host that asked to wait is not called before its time (clock injected)', async () => {
    let now = 1_000
    const limits = createHostLimits({ concurrency: 1, ratePerSec: 0 }, () => now)
    limits.backOff('slow.example', 5_000)
    assert.equal(limits.states()[0]?.blockedUntil, 6_000)
    const controller = new AbortController()
    let called = false
    const run = limits.run('slow.example', controller.signal, async () => {
      called = true
    })
    await new Promise((r) => setTimeout(r, 30))
    assert.equal(called, false)
    controller.abort(new Error('stop'))
    await assert.rejects(run, /stop/)
    now = 7_000
    await limits.run('slow.example', new AbortController().signal, async () => {
      called = true
    })
    assert.equal(called, true)
  })
})
