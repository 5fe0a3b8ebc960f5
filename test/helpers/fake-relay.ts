// A loopback relay for tests: serves frames on /xrpc/com.atproto.sync.subscribeRepos with the
// real relays' cursor rules (replay strictly after ?cursor=, FutureCursor past the head, live
// head without a cursor), paced by the socket's buffer so big replays stay within memory, and
// with knobs for faults (dropped connections, injected frames).
import type { AddressInfo } from 'node:net'
import { decodeFirst } from '@atcute/cbor'
import { type WebSocket, WebSocketServer } from 'ws'
import { errorFrame, frameSeq } from './frame-tools.ts'

export interface FakeRelayOptions {
  /** the replay window; frames without a seq (info, error) are sent in place */
  readonly frames: readonly Uint8Array[]
  /** serve the whole window to subscribers that give no cursor (default: live head) */
  readonly startAtOldest?: boolean
  /** terminate each connection after it was sent this many frames */
  readonly dropAfterFrames?: number
  /** pause sending while a socket has more than this many bytes buffered */
  readonly highWaterBytes?: number
}

export interface FakeRelay extends AsyncDisposable {
  /** base URL (ws://127.0.0.1:port); the endpoint path is appended by clients */
  readonly url: string
  /** every subscription, with the cursor it asked for */
  readonly connections: { cursor: string | null; at: number }[]
  /** frames sent, over all connections */
  readonly sent: number
  /** adds frames to the window and sends them to connected subscribers */
  append(frames: readonly Uint8Array[]): void
  /** abruptly terminates every open connection */
  dropConnections(): void
  close(): Promise<void>
}

interface Entry {
  readonly seq: number | undefined
  readonly frame: Uint8Array
  /** an error frame (header op -1): like a real relay, close the stream after sending it */
  readonly error: boolean
}

const toEntry = (frame: Uint8Array): Entry => {
  let error = false
  try {
    error = (decodeFirst(frame)[0] as { op?: unknown }).op === -1
  } catch {
    // NOTE: deliberately malformed test frames are served as they are
  }
  return { seq: safeSeq(frame), frame, error }
}

function safeSeq(frame: Uint8Array): number | undefined {
  try {
    return frameSeq(frame)
  } catch {
    return undefined
  }
}

export async function startFakeRelay(options: FakeRelayOptions): Promise<FakeRelay> {
  const window: Entry[] = options.frames.map(toEntry)
  const highWater = options.highWaterBytes ?? 4 * 1024 * 1024
  const connections: { cursor: string | null; at: number }[] = []
  const subscribers = new Set<{ ws: WebSocket; pump: () => void; next: number }>()
  let sent = 0

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== '/xrpc/com.atproto.sync.subscribeRepos') {
      ws.close(1008, 'unknown endpoint')
      return
    }
    const cursor = url.searchParams.get('cursor')
    connections.push({ cursor, at: Date.now() })
    const lastSeq = [...window].reverse().find((e) => e.seq !== undefined)?.seq ?? 0
    let start: number
    if (cursor === null) start = options.startAtOldest ? 0 : window.length
    else {
      const c = Number(cursor)
      if (c > lastSeq) {
        ws.send(errorFrame('FutureCursor', 'Cursor in the future.'), () => ws.close(1008, 'FutureCursor'))
        return
      }
      start = window.findIndex((e) => e.seq !== undefined && e.seq > c)
      if (start < 0) start = window.length
    }
    let perConnection = 0
    const sub = {
      ws,
      next: start,
      pump: () => {
        while (sub.next < window.length && ws.readyState === ws.OPEN) {
          if (ws.bufferedAmount > highWater) {
            setTimeout(sub.pump, 5)
            return
          }
          const entry = window[sub.next++]
          if (!entry) break
          ws.send(entry.frame)
          sent++
          if (entry.error) {
            ws.close(1008, 'error frame')
            return
          }
          if (options.dropAfterFrames && ++perConnection >= options.dropAfterFrames) {
            ws.terminate()
            return
          }
        }
      },
    }
    subscribers.add(sub)
    ws.on('close', () => subscribers.delete(sub))
    ws.on('error', () => subscribers.delete(sub))
    sub.pump()
  })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  const port = (wss.address() as AddressInfo).port

  const close = async () => {
    for (const s of subscribers) s.ws.terminate()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    get sent() {
      return sent
    },
    append(frames) {
      for (const frame of frames) window.push(toEntry(frame))
      for (const s of subscribers) s.pump()
    },
    dropConnections() {
      for (const s of subscribers) s.ws.terminate()
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
