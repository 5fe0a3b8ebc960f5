// A pull-based WebSocket reader that reconnects with backoff. Messages are buffered up to a
// high-water mark, past which the socket is paused (TCP backpressure reaches the upstream), so
// memory stays bounded when the consumer (Kafka) is slower than the upstream.
import WebSocket from 'ws'
import { SourceConnectionError } from '../../errors.ts'
import { backoffDelay } from './backoff.ts'

export interface SocketOptions {
  /** evaluated at every (re)connect, so the cursor can move between connections */
  readonly url: () => string
  readonly headers?: Record<string, string>
  readonly minBackoffMs: number
  readonly maxBackoffMs: number
  /** no message and no pong for this long → reconnect; 0 disables */
  readonly idleTimeoutMs: number
  /** buffered messages before the socket is paused */
  readonly highWaterMark?: number
  readonly maxPayload?: number
  readonly onConnecting?: (url: string, attempt: number) => void
  readonly onOpen?: (url: string) => void
  readonly onClose?: (reason: SourceConnectionError, nextAttemptInMs: number) => void
}

export type SocketMessage = { readonly data: Buffer; readonly binary: boolean }

export interface SocketSession {
  /** sends a text frame on the current connection; false if not connected */
  send(text: string): boolean
  readonly connected: boolean
}

const END = Symbol('end')

/** A single connection as an async queue of messages. */
class Connection {
  readonly #ws: WebSocket
  readonly #queue: (SocketMessage | typeof END)[] = []
  readonly #highWater: number
  #waiter: (() => void) | undefined
  #paused = false
  #error: SourceConnectionError | undefined
  #opened = false
  #lastSeen = Date.now()
  #heartbeat: NodeJS.Timeout | undefined
  #corked = false

  constructor(url: string, opts: SocketOptions) {
    this.#highWater = opts.highWaterMark ?? 512
    this.#ws = new WebSocket(url, {
      headers: opts.headers,
      perMessageDeflate: false,
      maxPayload: opts.maxPayload ?? 8 * 1024 * 1024,
      handshakeTimeout: 30_000,
    })
    this.#ws.on('open', () => {
      this.#opened = true
      this.#lastSeen = Date.now()
      opts.onOpen?.(url)
      if (opts.idleTimeoutMs > 0) this.#startHeartbeat(opts.idleTimeoutMs)
    })
    this.#ws.on('message', (data: Buffer, binary: boolean) => {
      this.#lastSeen = Date.now()
      this.#push({ data, binary })
      if (!this.#paused && this.#queue.length >= this.#highWater) {
        this.#paused = true
        this.#ws.pause()
      }
    })
    this.#ws.on('pong', () => {
      this.#lastSeen = Date.now()
    })
    this.#ws.on('unexpected-response', (_req, res) => {
      this.#error = new SourceConnectionError(
        `upstream refused the websocket upgrade; status=${res.statusCode} retry-after=${res.headers['retry-after'] ?? ''}`,
      )
      res.resume()
      this.#ws.terminate()
    })
    this.#ws.on('error', (err) => {
      this.#error ??= new SourceConnectionError(`websocket error; url=${redact(url)} error=${err.message}`, {
        cause: err,
      })
    })
    this.#ws.on('close', (code, reason) => {
      clearInterval(this.#heartbeat)
      this.#error ??= new SourceConnectionError(
        `websocket closed; code=${code} reason=${JSON.stringify(reason.toString().slice(0, 200))}`,
      )
      this.#push(END)
    })
  }

  get opened() {
    return this.#opened
  }
  get error() {
    return this.#error
  }
  get open() {
    return this.#ws.readyState === WebSocket.OPEN
  }

  send(text: string): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN) return false
    // Tap acks come in bursts (one per record): corking the TCP socket until the next tick
    // turns a burst into one write system call instead of one per ack
    if (!this.#corked) {
      const socket = (this.#ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
      if (socket) {
        this.#corked = true
        socket.cork()
        process.nextTick(() => {
          this.#corked = false
          socket.uncork()
        })
      }
    }
    this.#ws.send(text)
    return true
  }

  #startHeartbeat(idleMs: number) {
    const every = Math.max(250, Math.floor(idleMs / 3))
    this.#heartbeat = setInterval(() => {
      // messages waiting in our own queue mean we are the slow side, not the upstream
      if (this.#paused || this.#queue.length > 0) {
        this.#lastSeen = Date.now()
        return
      }
      if (Date.now() - this.#lastSeen > idleMs) {
        this.#error = new SourceConnectionError(`upstream idle for more than ${idleMs} ms`)
        this.#ws.terminate()
        return
      }
      this.#ws.ping()
    }, every)
  }

  #push(item: SocketMessage | typeof END) {
    this.#queue.push(item)
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }

  /** every message queued so far (at least one), or END once the socket has closed */
  async nextBatch(): Promise<SocketMessage[] | typeof END> {
    while (this.#queue.length === 0) await new Promise<void>((r) => (this.#waiter = r))
    const end = this.#queue.indexOf(END)
    const batch = (end < 0 ? this.#queue.splice(0) : this.#queue.splice(0, end)) as SocketMessage[]
    if (this.#paused && this.#queue.length < this.#highWater / 2) {
      this.#paused = false
      this.#ws.resume()
    }
    if (batch.length === 0) {
      this.#queue.shift()
      return END
    }
    return batch
  }

  close() {
    clearInterval(this.#heartbeat)
    if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate()
    else this.#ws.close(1000)
    this.#push(END)
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//<redacted>@')
}

/**
 * Messages from the upstream across reconnects, in batches of whatever arrived since the last
 * pull (one async step per batch, not per message), until the signal aborts or the consumer
 * stops iterating. `session` lets the consumer write (Tap acks) on the current connection.
 */
export async function* readSocketBatches(
  opts: SocketOptions,
  signal: AbortSignal,
  session?: (s: SocketSession) => void,
): AsyncGenerator<SocketMessage[]> {
  let attempt = 0
  let current: Connection | undefined
  session?.({
    send: (text) => current?.send(text) ?? false,
    get connected() {
      return current?.open ?? false
    },
  })
  const onAbort = () => current?.close()
  signal.addEventListener('abort', onAbort)
  try {
    while (!signal.aborted) {
      const url = opts.url()
      opts.onConnecting?.(redact(url), attempt)
      const conn = new Connection(url, opts)
      current = conn
      for (;;) {
        const batch = await conn.nextBatch()
        if (batch === END) break
        attempt = 0
        yield batch
      }
      current = undefined
      if (signal.aborted) return
      attempt = conn.opened ? 1 : attempt + 1
      const delay = backoffDelay(attempt, opts.minBackoffMs, opts.maxBackoffMs)
      opts.onClose?.(conn.error ?? new SourceConnectionError('websocket closed'), delay)
      await sleep(delay, signal)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    current?.close()
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
