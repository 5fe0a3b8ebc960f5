import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, test } from 'node:test'
import { createLogger } from '../../../src/logging/logger.ts'
import { createRecentLog, toLogEntry } from '../../../src/logging/recent-log.ts'

const line = (o: Record<string, unknown>) => JSON.stringify({ time: '2026-01-01T00:00:00.000Z', ...o })

describe('recent log', () => {
  test('an entry keeps time, level, component, message and scalar fields (err as its message), strings cut short', () => {
    const e = toLogEntry(
      line({
        level: 40,
        service: 'atkafka',
        component: 'relay',
        msg: 'dropped upstream data',
        seq: 12,
        reason: 'cid_mismatch',
        err: { type: 'Error', message: 'bad cid', stack: 'Error: bad cid\n  at …' },
        record: { text: 'a post body' },
        long: 'x'.repeat(1000),
      }),
    )
    assert.ok(e)
    assert.equal(e.level, 'warn')
    assert.equal(e.component, 'relay')
    assert.equal(e.msg, 'dropped upstream data')
    assert.deepEqual(Object.keys(e.fields), ['seq', 'reason', 'err', 'long'])
    assert.equal(e.fields.err, 'bad cid')
    assert.equal(String(e.fields.long).length, 200)
    assert.ok(!JSON.stringify(e).includes('a post body'), 'objects other than err are left out')
  })

  test('below warn, non-JSON and non-pino lines are not entries', () => {
    assert.equal(toLogEntry(line({ level: 30, msg: 'progress' })), undefined)
    assert.equal(toLogEntry('not json'), undefined)
    assert.equal(toLogEntry('42'), undefined)
    assert.equal(toLogEntry(line({ msg: 'no level' })), undefined)
  })

  test('the ring holds the last N entries, oldest first, and counts all of them', () => {
    const ring = createRecentLog(3)
    for (let i = 1; i <= 5; i++) ring.add(line({ level: i === 5 ? 50 : 40, msg: `m${i}` }))
    ring.add(line({ level: 30, msg: 'info' }))
    assert.deepEqual(
      ring.entries().map((e) => e.msg),
      ['m3', 'm4', 'm5'],
    )
    assert.deepEqual(ring.counts(), { warn: 4, error: 1, fatal: 0 })
    const fresh = createRecentLog(3)
    fresh.add(line({ level: 60, msg: 'only' }))
    assert.deepEqual(
      fresh.entries().map((e) => [e.level, e.msg]),
      [['fatal', 'only']],
    )
  })

  test('the logger feeds warn and error lines to the ring and still writes every line', () => {
    const written: string[] = []
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written.push(chunk.toString())
        cb()
      },
    })
    const ring = createRecentLog()
    const logger = createLogger('info', out, ring).child({ component: 'sink' })
    logger.info('fine')
    logger.warn({ reason: 'oversized_message', bytes: 2_000_000 }, 'to the dead-letter topic')
    logger.error({ err: new Error('broker down') }, 'run failed')
    logger.debug('not written at info')
    assert.equal(written.join('').trim().split('\n').length, 3)
    assert.deepEqual(
      ring.entries().map((e) => [e.level, e.component, e.msg]),
      [
        ['warn', 'sink', 'to the dead-letter topic'],
        ['error', 'sink', 'run failed'],
      ],
    )
    assert.deepEqual(ring.entries()[0]?.fields, { reason: 'oversized_message', bytes: 2_000_000 })
    assert.equal(ring.entries()[1]?.fields.err, 'broker down')
  })
})
