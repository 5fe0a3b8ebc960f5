// A loopback relay for tests: serves frames on /xrpc/com.atproto.sync.subscribeRepos with the
// reference PDS's cursor rules (replay strictly after ?cursor=, FutureCursor past the head,
// #info OutdatedCursor before the window, live head without a cursor), paced by the socket's
// write callbacks so big replays stay within memory, and with knobs for faults (dropped
// connections, slow-consumer cut-off, rate limits, injected frames).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeFirst } from '@atcute/cbor'
import { type WebSocket, WebSocketServer } from 'ws'
import { errorFrame, type FrameWindow, frameSeq, infoFrame } from './frame-tools.ts'

export const SUBSCRIBE_REPOS_PATH = '/xrpc/com.atproto.sync.subscribeRepos'

export interface FakeRelayOptions {
  /** the replay window, oldest first; frames without a seq (#info, error frames) are sent in place */
  readonly frames: readonly Uint8Array[] | FrameWindow
  /** serve the whole window to subscribers that give no cursor (default: live head only) */
  readonly startAtOldest?: boolean
  /** cursor older than the window: 'info' sends #info OutdatedCursor first (PDS, default); 'silent' (indigo relay) */
  readonly outdatedCursor?: 'info' | 'silent'
  /**
   * cut each connection (terminate: no close frame) right after its Nth frame was written to
   * the kernel: the consumer receives exactly N frames, then the TCP connection ends
   */
  readonly dropEvery?: { readonly frames: number }
  /** @deprecated same as `dropEvery: { frames }` */
  readonly dropAfterFrames?: number
  /** at most this many frames per second per connection (default: as fast as the consumer reads) */
  readonly ratePerSecond?: number
  /** stop writing while this many bytes are not yet handed to the kernel (default 4 MiB) */
  readonly highWaterBytes?: number
  /**
   * a consumer whose socket keeps more than this many bytes buffered for `maxBufferedMs`
   * (default 0) gets a ConsumerTooSlow error frame and is closed. Pacing keeps up to
   * `highWaterBytes` buffered, so this only fires when set below it.
   */
  readonly maxBuffered?: number
  readonly maxBufferedMs?: number
  /**
   * keep the bytes of only this many appended frames (a long-running feed stays within memory);
   * older ones keep their seq but are served empty, so only a subscriber that far behind notices
   */
  readonly retainAppended?: number
  /**
   * the subscription's path (default SUBSCRIBE_REPOS_PATH); a labeler's subscribeLabels uses
   * the same sequencing scheme, so the same server stands in for a labeler
   */
  readonly path?: string
}

interface FakeRelayConnection {
  readonly cursor: string | null
  readonly at: number
}

export interface FakeRelay extends AsyncDisposable {
  /** base URL (ws://127.0.0.1:port); clients append SUBSCRIBE_REPOS_PATH */
  readonly url: string
  /** every subscription, in order, with the cursor it asked for */
  readonly connections: readonly FakeRelayConnection[]
  /** frames handed to sockets, over all connections (a dropped socket may lose its last few) */
  readonly sent: number
  /** connections open now */
  readonly open: number
  /** seq of the newest frame in the window (0 when there is none) */
  readonly headSeq: number
  /** adds frames to the window and sends them to connected subscribers */
  append(frames: readonly Uint8Array[]): void
  /** abruptly terminates every open connection (no close frame) */
  dropConnections(): void
  /** terminates every connection and stops the server */
  close(): Promise<void>
}

interface Subscriber {
  readonly ws: WebSocket
  next: number
  sentHere: number
  inFlight: number
  nextAt: number
  overSince: number | undefined
  timer: NodeJS.Timeout | undefined
  done: boolean
}

/** seq of a frame; undefined for frames without one and for malformed frames (sent as they are) */
function seqOf(frame: Uint8Array): number | undefined {
  try {
    return frameSeq(frame)
  } catch {
    return undefined
  }
}

function arrayWindow(frames: readonly Uint8Array[]): FrameWindow {
  const seqs = new Map<number, number | undefined>()
  return {
    length: frames.length,
    frame: (i) => frames[i] ?? new Uint8Array(),
    seq(i) {
      if (!seqs.has(i)) seqs.set(i, seqOf(frames[i] ?? new Uint8Array()))
      return seqs.get(i)
    },
  }
}

/** the error name of an error frame (header op -1), undefined for any other frame */
function errorName(frame: Uint8Array): string | undefined {
  try {
    const [header, rest] = decodeFirst(frame) as [{ op?: unknown }, Uint8Array]
    if (header.op !== -1) return undefined
    const [body] = decodeFirst(rest) as [{ error?: unknown }, Uint8Array]
    return typeof body.error === 'string' ? body.error : 'Error'
  } catch {
    return undefined
  }
}

export async function startFakeRelay(options: FakeRelayOptions): Promise<FakeRelay> {
  const base = Array.isArray(options.frames)
    ? arrayWindow(options.frames as readonly Uint8Array[])
    : (options.frames as FrameWindow)
  const appended: { frame: Uint8Array; seq: number | undefined }[] = []
  const length = () => base.length + appended.length
  const frameAt = (i: number) =>
    i < base.length ? base.frame(i) : (appended[i - base.length]?.frame ?? new Uint8Array())
  const seqAt = (i: number) => (i < base.length ? base.seq(i) : appended[i - base.length]?.seq)
  const headSeq = () => {
    for (let i = length() - 1; i >= 0; i--) {
      const seq = seqAt(i)
      if (seq !== undefined) return seq
    }
    return 0
  }
  const oldestSeq = () => {
    for (let i = 0; i < length(); i++) {
      const seq = seqAt(i)
      if (seq !== undefined) return seq
    }
    return undefined
  }
  const dropEvery = options.dropEvery?.frames ?? options.dropAfterFrames
  const highWater = options.highWaterBytes ?? 4 * 1024 * 1024
  const connections: FakeRelayConnection[] = []
  const subscribers = new Set<Subscriber>()
  let sent = 0

  const finish = (sub: Subscriber, name: string, message: string) => {
    sub.done = true
    sub.ws.send(errorFrame(name, message), () => sub.ws.close(1008, name))
  }

  const schedule = (sub: Subscriber, ms: number) => {
    if (sub.timer || sub.done) return
    sub.timer = setTimeout(() => {
      sub.timer = undefined
      pump(sub)
    }, ms)
  }

  const tooSlow = (sub: Subscriber): boolean => {
    if (options.maxBuffered === undefined || sub.ws.bufferedAmount <= options.maxBuffered) {
      sub.overSince = undefined
      return false
    }
    sub.overSince ??= Date.now()
    const left = sub.overSince + (options.maxBufferedMs ?? 0) - Date.now()
    if (left > 0) {
      schedule(sub, Math.min(left, 20)) // look again even if nothing else wakes the pump
      return false
    }
    finish(sub, 'ConsumerTooSlow', 'Stream consumer too slow')
    return true
  }

  function pump(sub: Subscriber): void {
    const { ws } = sub
    while (!sub.done && ws.readyState === ws.OPEN) {
      if (tooSlow(sub)) return
      if (sub.next >= length()) return
      if (sub.inFlight > highWater) {
        // write callbacks wake us; the timer only watches a stalled consumer for maxBuffered
        if (options.maxBuffered !== undefined) schedule(sub, 20)
        return
      }
      if (options.ratePerSecond) {
        // catch up on timer lateness, but never burst more than 50 ms worth after idling
        const now = performance.now()
        sub.nextAt = Math.max(sub.nextAt, now - 50)
        if (sub.nextAt > now) {
          schedule(sub, Math.ceil(sub.nextAt - now))
          return
        }
        sub.nextAt += 1000 / options.ratePerSecond
      }
      const frame = frameAt(sub.next++)
      const error = errorName(frame)
      const drop = dropEvery !== undefined && sub.sentHere + 1 >= dropEvery
      sub.inFlight += frame.length
      ws.send(frame, () => {
        sub.inFlight -= frame.length
        // servers close the stream right after an error frame; a drop cuts it after the frame
        if (error !== undefined) ws.close(1008, error)
        else if (drop) ws.terminate()
        else pump(sub)
      })
      sent++
      sub.sentHere++
      if (error !== undefined || drop) {
        sub.done = true
        return
      }
    }
  }

  const subscribe = (ws: WebSocket, cursor: string | null) => {
    connections.push({ cursor, at: Date.now() })
    const sub: Subscriber = {
      ws,
      next: length(),
      sentHere: 0,
      inFlight: 0,
      nextAt: 0,
      overSince: undefined,
      timer: undefined,
      done: false,
    }
    subscribers.add(sub)
    const gone = () => {
      sub.done = true
      clearTimeout(sub.timer)
      subscribers.delete(sub)
    }
    ws.on('close', gone)
    ws.on('error', gone)
    if (cursor === null) {
      if (options.startAtOldest) sub.next = 0
    } else if (!/^\d+$/.test(cursor) || !Number.isSafeInteger(Number(cursor))) {
      finish(sub, 'InvalidRequest', `Invalid cursor: ${cursor}`)
      return
    } else {
      const c = Number(cursor)
      if (c > headSeq()) {
        finish(sub, 'FutureCursor', 'Cursor in the future.')
        return
      }
      let start = 0
      while (start < length() && !((seqAt(start) ?? -1) > c)) start++
      sub.next = start
      const oldest = oldestSeq()
      if (c !== 0 && oldest !== undefined && c < oldest - 1 && options.outdatedCursor !== 'silent') {
        ws.send(infoFrame('OutdatedCursor', 'Requested cursor exceeded limit. Possibly missing events'))
        sent++
      }
    }
    pump(sub)
  }

  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required')
  })
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://relay')
    if (url.pathname !== (options.path ?? SUBSCRIBE_REPOS_PATH)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => subscribe(ws, url.searchParams.get('cursor')))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const dropConnections = () => {
    for (const sub of subscribers) sub.ws.terminate()
  }
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      dropConnections()
      wss.close()
      server.closeAllConnections()
      server.close(() => resolve())
    })
    return closing
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    get sent() {
      return sent
    },
    get open() {
      return subscribers.size
    },
    get headSeq() {
      return headSeq()
    },
    append(frames) {
      for (const frame of frames) appended.push({ frame, seq: seqOf(frame) })
      const retain = options.retainAppended
      if (retain !== undefined)
        for (let i = appended.length - frames.length - retain; i < appended.length - retain; i++) {
          const old = appended[i]
          if (old) old.frame = new Uint8Array()
        }
      for (const sub of subscribers) pump(sub)
    },
    dropConnections,
    close,
    [Symbol.asyncDispose]: close,
  }
}
