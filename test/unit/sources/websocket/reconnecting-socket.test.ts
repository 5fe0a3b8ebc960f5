// The reconnecting socket against a loopback ws server: its read queue is bounded in bytes (the
// server feels the backpressure), a message past maxPayload ends the connection with a
// FrameTooLargeError after everything before it was delivered, and the backoff grows with every
// connection that ends without progress, opened or not.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { type WebSocket, WebSocketServer } from 'ws'
import type { SourceConnectionError } from '../../../../src/errors.ts'
import {
  FrameTooLargeError,
  readSocketBatches,
  type SocketOptions,
} from '../../../../src/sources/websocket/reconnecting-socket.ts'

async function server(onConnection: (ws: WebSocket, n: number) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  let n = 0
  wss.on('connection', (ws) => onConnection(ws, n++))
  const { port } = wss.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    get connections() {
      return n
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => r())
      }),
  }
}

const base = (url: string): SocketOptions => ({
  url: () => url,
  minBackoffMs: 1,
  maxBackoffMs: 8,
  idleTimeoutMs: 0,
})

/** resolves once `read()` gave the same value 10 times in a row, 20 ms apart */
async function steady(read: () => number) {
  let last = read()
  for (let same = 0; same < 10; ) {
    await new Promise((r) => setTimeout(r, 20))
    const now = read()
    same = now === last ? same + 1 : 0
    last = now
  }
}

describe('the read queue', () => {
  test('is bounded in bytes: a consumer that does not read pauses the socket, the sender buffers', async () => {
    const MESSAGE = 256 * 1024
    let sender: WebSocket | undefined
    const srv = await server((ws) => {
      sender = ws
      for (let i = 0; i < 100; i++) ws.send(Buffer.alloc(MESSAGE, i))
    })
    const stop = new AbortController()
    const socket = readSocketBatches(
      { ...base(srv.url), highWaterMark: 10_000, highWaterBytes: 1024 * 1024 },
      stop.signal,
    )
    try {
      // the first pull opens the connection; then nothing is read while the queue fills
      const first = await socket.next()
      assert.equal(first.done, false)
      // wait until the transfer stands still: paused (bounded), or everything read (unbounded)
      await steady(() => sender?.bufferedAmount ?? 0)
      assert.ok((sender?.bufferedAmount ?? 0) > 0, 'backpressure reached the sender')
      const second = await socket.next()
      const batch = second.value ?? []
      // 1 MiB of 256 KiB messages, and what ws had already read past the pause (part of one chunk)
      assert.ok(batch.length <= 5, `${batch.length} messages were queued`)
      assert.ok(batch.length >= 1)
    } finally {
      stop.abort()
      await socket.return(undefined)
      await srv.close()
    }
  })
})

describe('stopping', () => {
  test('a connection paused by backpressure still completes the close handshake when the consumer stops', async () => {
    // before: the paused socket never read the upstream's answering close frame, and ws held the
    // connection (and the process, after a clean stop) for its 30 s close timeout
    let closedAt: number | undefined
    let code: number | undefined
    const srv = await server((ws) => {
      for (let i = 0; i < 100; i++) ws.send(Buffer.alloc(256 * 1024, i))
      ws.on('close', (c) => {
        code = c
        closedAt = Date.now()
      })
    })
    const stop = new AbortController()
    const socket = readSocketBatches({ ...base(srv.url), highWaterBytes: 1024 * 1024 }, stop.signal)
    try {
      assert.equal((await socket.next()).done, false)
      await new Promise((r) => setTimeout(r, 200))
      const stoppedAt = Date.now()
      stop.abort()
      await socket.return(undefined)
      // well under ws's 30 s: the close frame was answered and read, or the grace cut it off
      const deadline = stoppedAt + 10_000
      while (closedAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      assert.ok(closedAt !== undefined, 'the upstream saw the connection end')
      assert.equal(code, 1000, 'with the close frame atkafka sent')
    } finally {
      await srv.close()
    }
  })
})

describe('a message past maxPayload', () => {
  test('ends the connection with a FrameTooLargeError naming the limit, after the messages before it', async () => {
    const srv = await server((ws, n) => {
      if (n > 0) return ws.close()
      ws.send(Buffer.alloc(100, 1))
      ws.send(Buffer.alloc(200, 2))
      ws.send(Buffer.alloc(70_000, 3))
      ws.send(Buffer.alloc(100, 4))
    })
    const stop = new AbortController()
    const closes: SourceConnectionError[] = []
    const got: number[] = []
    const socket = readSocketBatches(
      {
        ...base(srv.url),
        maxPayload: 65_536,
        onClose: (err) => {
          closes.push(err)
          if (closes.length === 2) stop.abort()
        },
      },
      stop.signal,
    )
    for await (const batch of socket) for (const m of batch) got.push(m.data.length)
    await srv.close()
    assert.deepEqual(got, [100, 200])
    assert.ok(closes[0] instanceof FrameTooLargeError, String(closes[0]))
    assert.equal((closes[0] as FrameTooLargeError).limit, 65_536)
    assert.match(closes[0]!.message, /larger than 65536 bytes/)
  })
})

describe('the backoff', () => {
  test('grows for connections that open and close without a message, and starts over after one with', async () => {
    // connections 0-3 open and close at once; 4 sends a message; 5-7 close at once again
    const srv = await server((ws, n) => {
      if (n === 4) ws.send('hello', () => ws.close())
      else ws.close()
    })
    const stop = new AbortController()
    const attempts: number[] = []
    const socket = readSocketBatches(
      {
        ...base(srv.url),
        onConnecting: (_url, attempt) => {
          attempts.push(attempt)
          if (attempts.length === 8) stop.abort()
        },
      },
      stop.signal,
    )
    for await (const _ of socket) {
    }
    await srv.close()
    assert.deepEqual(attempts, [0, 1, 2, 3, 4, 1, 2, 3])
  })

  test('with a progress measure, messages that do not move it are no progress', async () => {
    const srv = await server((ws) => ws.send('same again', () => ws.close()))
    const stop = new AbortController()
    const attempts: number[] = []
    let progress = 0
    const socket = readSocketBatches(
      {
        ...base(srv.url),
        progress: () => progress,
        onConnecting: (_url, attempt) => {
          attempts.push(attempt)
          if (attempts.length === 5) stop.abort()
        },
      },
      stop.signal,
    )
    for await (const batch of socket) {
      // only the third connection's message counts as progress
      if (attempts.length === 3) progress += batch.length
    }
    await srv.close()
    assert.deepEqual(attempts, [0, 1, 2, 1, 2])
  })

  test('onClose may end the stream by throwing', async () => {
    const srv = await server((ws) => ws.close())
    const socket = readSocketBatches(
      {
        ...base(srv.url),
        onClose: () => {
          throw new Error('enough')
        },
      },
      new AbortController().signal,
    )
    await assert.rejects(socket.next(), /enough/)
    await srv.close()
    assert.equal(srv.connections, 1)
  })
})
