// A pull-based WebSocket reader that reconnects with backoff. Messages are buffered up to a
// high-water mark in messages and in bytes, past which the socket is paused (TCP backpressure
// reaches the upstream), so memory stays bounded when the consumer (Kafka) is slower than the
// upstream. A message larger than `maxPayload` is never read: ws closes the connection (1009)
// and the close reports a FrameTooLargeError, for the source to decide what that means.
// The backoff grows with every connection that ends without progress (opened or not), so an
// upstream that fails the same way on every connection is retried ever more slowly, never in a
// tight loop; a connection that made progress starts the backoff over.
import WebSocket from 'ws'
import { SourceConnectionError } from '../../errors.ts'
import { backoffDelay, pause } from '../backoff.ts'

/** ws's default is 100 MiB; atkafka's is well above any frame the lexicons allow (about 2.2 MB) */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024
/** bytes of read messages queued before the socket is paused (one message always fits) */
const DEFAULT_HIGH_WATER_BYTES = 16 * 1024 * 1024

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
  /** buffered bytes before the socket is paused (default DEFAULT_HIGH_WATER_BYTES) */
  readonly highWaterBytes?: number
  /** largest message read; a larger one closes the connection with a FrameTooLargeError */
  readonly maxPayload?: number
  /**
   * a number that grows when the consumer made progress (relay: frames with a seq), read when
   * a connection ends; default: messages delivered. A connection that ends without progress
   * makes the next delay longer, even if it opened.
   */
  readonly progress?: () => number
  readonly onConnecting?: (url: string, attempt: number) => void
  readonly onOpen?: (url: string) => void
  /** may throw: the stream then ends with that error (nothing is retried) */
  readonly onClose?: (reason: SourceConnectionError, nextAttemptInMs: number) => void
}

/** The upstream answered the upgrade request with an HTTP status instead of 101; `body` is its start (≤ 4 KiB). */
export class UpgradeRefusedError extends SourceConnectionError {
  readonly status: number
  readonly body: string
  constructor(status: number, retryAfter: string, body: string) {
    super(
      `upstream refused the websocket upgrade; status=${status} retry-after=${retryAfter} body=${JSON.stringify(body.slice(0, 300))}`,
    )
    this.status = status
    this.body = body
  }
}

/** The upstream sent a message larger than `maxPayload`: it was not read, the connection closed. */
export class FrameTooLargeError extends SourceConnectionError {
  readonly limit: number
  constructor(limit: number, options?: ErrorOptions) {
    super(`upstream sent a frame larger than ${limit} bytes (the frame limit); it was not read`, options)
    this.limit = limit
  }
}

export type SocketMessage = { readonly data: Buffer; readonly binary: boolean }

export interface SocketSession {
  /** sends a text frame on the current connection; false if not connected */
  send(text: string): boolean
  readonly connected: boolean
}

const END = Symbol('end')
/** how long close() waits for the upstream's close frame before dropping the connection */
const CLOSE_GRACE_MS = 2000

/** A single connection as an async queue of messages. */
class Connection {
  readonly #ws: WebSocket
  readonly #queue: (SocketMessage | typeof END)[] = []
  readonly #highWater: number
  readonly #highWaterBytes: number
  /** bytes of the messages in #queue */
  #queuedBytes = 0
  /** messages handed to the consumer */
  #delivered = 0
  #waiter: (() => void) | undefined
  #paused = false
  #error: SourceConnectionError | undefined
  #opened = false
  #lastSeen = Date.now()
  #heartbeat: NodeJS.Timeout | undefined
  #corked = false
  /** close() was called: messages still arriving are not read */
  #closing = false

  constructor(url: string, opts: SocketOptions) {
    this.#highWater = opts.highWaterMark ?? 512
    this.#highWaterBytes = opts.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES
    const maxPayload = opts.maxPayload ?? DEFAULT_MAX_FRAME_BYTES
    this.#ws = new WebSocket(url, {
      headers: opts.headers,
      perMessageDeflate: false,
      maxPayload,
      handshakeTimeout: 30_000,
    })
    this.#ws.on('open', () => {
      this.#opened = true
      this.#lastSeen = Date.now()
      opts.onOpen?.(url)
      if (opts.idleTimeoutMs > 0) this.#startHeartbeat(opts.idleTimeoutMs)
    })
    this.#ws.on('message', (data: Buffer, binary: boolean) => {
      if (this.#closing) return
      this.#lastSeen = Date.now()
      this.#queuedBytes += data.length
      this.#push({ data, binary })
      if (
        !this.#paused &&
        (this.#queue.length >= this.#highWater || this.#queuedBytes >= this.#highWaterBytes)
      ) {
        this.#paused = true
        this.#ws.pause()
      }
    })
    this.#ws.on('pong', () => {
      this.#lastSeen = Date.now()
    })
    this.#ws.on('unexpected-response', (_req, res) => {
      // the refusal's body names why (an XRPC error envelope): its first 4 KiB are kept
      const parts: Buffer[] = []
      let bytes = 0
      const refused = () => {
        if (this.#error) return
        this.#error = new UpgradeRefusedError(
          res.statusCode ?? 0,
          String(res.headers['retry-after'] ?? ''),
          Buffer.concat(parts).toString('utf8'),
        )
        this.#ws.terminate()
      }
      // a body that never ends does not hold the connection
      setTimeout(refused, 5000).unref()
      res.on('data', (chunk: Buffer) => {
        if (bytes < 4096) parts.push(chunk.subarray(0, 4096 - bytes))
        bytes += chunk.length
        if (bytes >= 4096) refused()
      })
      res.on('end', refused)
      res.on('error', refused)
    })
    this.#ws.on('error', (err) => {
      // ws refuses a message past maxPayload from its header, before reading its payload
      if ((err as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.#error ??= new FrameTooLargeError(maxPayload, { cause: err })
        return
      }
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
  get delivered() {
    return this.#delivered
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
    for (const message of batch) this.#queuedBytes -= message.data.length
    this.#delivered += batch.length
    if (
      this.#paused &&
      this.#queue.length < this.#highWater / 2 &&
      this.#queuedBytes < this.#highWaterBytes / 2
    ) {
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
    this.#closing = true
    if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate()
    else {
      this.#ws.close(1000)
      // the upstream's answering close frame has to be read: a socket paused by backpressure
      // would leave it unread, and ws would hold the connection (and the process, after a
      // clean stop: `docker stop` then kills it) for its 30 s close timeout. What arrives
      // before it is dropped (#closing).
      if (this.#paused) {
        this.#paused = false
        this.#ws.resume()
      }
      // an upstream that never answers is cut off sooner than ws would
      setTimeout(() => this.#ws.terminate(), CLOSE_GRACE_MS).unref()
    }
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
      const before = opts.progress?.() ?? 0
      for (;;) {
        const batch = await conn.nextBatch()
        if (batch === END) break
        yield batch
      }
      current = undefined
      if (signal.aborted) return
      // the consumer has handled every message of the connection by now (it asked for the next)
      const progressed = opts.progress ? opts.progress() > before : conn.delivered > 0
      attempt = progressed ? 1 : attempt + 1
      const delay = backoffDelay(attempt, opts.minBackoffMs, opts.maxBackoffMs)
      opts.onClose?.(conn.error ?? new SourceConnectionError('websocket closed'), delay)
      await pause(delay, signal)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    current?.close()
  }
}
