// Acks owed to Tap: written at once when connected, queued in order while not, flushed after
// the next connection opens, and counted (acks_sent ok/error, the ack buffer gauge).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ackMessage, createPendingAcks } from '../../../../src/sources/tap/pending-acks.ts'

function fakeSocket() {
  const written: number[] = []
  let connected = true
  let failAfter = Number.POSITIVE_INFINITY
  return {
    written,
    set connected(v: boolean) {
      connected = v
    },
    /** the connection dies after this many more writes */
    failAfter(n: number) {
      failAfter = n
    },
    send(text: string) {
      if (!connected) return false
      if (failAfter-- <= 0) {
        connected = false
        return false
      }
      written.push((JSON.parse(text) as { id: number }).id)
      return true
    },
  }
}

function fakeMetrics() {
  const m = { ok: 0, error: 0, buffer: [] as number[] }
  return {
    m,
    ackSent: (status: 'ok' | 'error') => {
      m[status]++
    },
    tapAckBuffer: (n: number) => {
      m.buffer.push(n)
    },
  }
}

describe('pending acks', () => {
  test('the ack message is exactly what Tap reads', () => {
    assert.equal(ackMessage(42), '{"type":"ack","id":42}')
    assert.deepEqual(JSON.parse(ackMessage(0)), { type: 'ack', id: 0 })
  })

  test('connected: written at once', () => {
    const socket = fakeSocket()
    const metrics = fakeMetrics()
    const acks = createPendingAcks(socket, metrics)
    acks.ack(1)
    acks.ack(2)
    assert.deepEqual(socket.written, [1, 2])
    assert.equal(acks.waiting, 0)
    assert.deepEqual(metrics.m, { ok: 2, error: 0, buffer: [] })
  })

  test('across a reconnect: queued in order while disconnected, flushed when the next connection opens', () => {
    const socket = fakeSocket()
    const metrics = fakeMetrics()
    const acks = createPendingAcks(socket, metrics)
    acks.ack(1)
    socket.connected = false
    acks.ack(3)
    acks.ack(2)
    acks.ack(4)
    assert.equal(acks.waiting, 3)
    assert.deepEqual(metrics.m, { ok: 1, error: 3, buffer: [1, 2, 3] })
    acks.flush() // still down: nothing happens
    assert.equal(acks.waiting, 3)
    socket.connected = true
    acks.flush()
    assert.deepEqual(socket.written, [1, 3, 2, 4])
    assert.equal(acks.waiting, 0)
    assert.deepEqual(metrics.m, { ok: 4, error: 3, buffer: [1, 2, 3, 0] })
  })

  test('a connection that dies mid-flush keeps the rest, in order, for the next one', () => {
    const socket = fakeSocket()
    const metrics = fakeMetrics()
    const acks = createPendingAcks(socket, metrics)
    socket.connected = false
    for (let id = 1; id <= 5; id++) acks.ack(id)
    socket.connected = true
    socket.failAfter(2)
    acks.flush()
    assert.deepEqual(socket.written, [1, 2])
    assert.equal(acks.waiting, 3)
    acks.ack(6) // behind the waiting ones
    assert.equal(acks.waiting, 4)
    socket.connected = true
    socket.failAfter(Number.POSITIVE_INFINITY)
    acks.flush()
    assert.deepEqual(socket.written, [1, 2, 3, 4, 5, 6])
    assert.equal(metrics.m.ok, 6)
  })

  test('an ack due while others wait and the socket is back: the waiting ones go first', () => {
    const socket = fakeSocket()
    const acks = createPendingAcks(socket, fakeMetrics())
    socket.connected = false
    acks.ack(1)
    acks.ack(2)
    socket.connected = true // reconnected, flush not called yet
    acks.ack(3)
    assert.deepEqual(socket.written, [1, 2, 3])
    assert.equal(acks.waiting, 0)
  })

  test('many acks owed: all flushed, none lost or repeated', () => {
    const socket = fakeSocket()
    const acks = createPendingAcks(socket, fakeMetrics())
    socket.connected = false
    for (let id = 0; id < 10_000; id++) acks.ack(id)
    socket.connected = true
    socket.failAfter(3000)
    acks.flush()
    socket.connected = true
    socket.failAfter(Number.POSITIVE_INFINITY)
    acks.flush()
    assert.equal(socket.written.length, 10_000)
    assert.deepEqual(
      socket.written,
      Array.from({ length: 10_000 }, (_, i) => i),
    )
  })
})
