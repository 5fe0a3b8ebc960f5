// An event stream's current seq: what the backfill planner notes before it lists anything (live
// mode started from it misses nothing after), and what the backfill seam notes once the
// backfill is done (past it, no live event can be one a copy holds).
import { decodeFrame } from './decode-frame.ts'

/**
 * The relay's current seq: the seq of the first frame subscribeRepos sends without a cursor
 * (the relay sends only new events then). Live mode started from it misses nothing that
 * happened after this call. Rejects when no frame with a seq comes within `timeoutMs`.
 */
export function createCurrentSeq(
  relay: string,
  timeoutMs = 60_000,
): (signal: AbortSignal) => Promise<number> {
  return (signal) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', relay.replace(/^http/, 'ws'))
      const socket = new WebSocket(url)
      socket.binaryType = 'arraybuffer'
      const done = (err: Error | undefined, seq?: number) => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        socket.close()
        if (err) reject(err)
        else resolve(seq!)
      }
      const onAbort = () =>
        done(new Error('stopped before the relay seq was known', { cause: signal.reason }))
      const timer = setTimeout(
        () => done(new Error(`${url.host} sent no event in ${timeoutMs} ms: its current seq is unknown`)),
        timeoutMs,
      )
      signal.addEventListener('abort', onAbort, { once: true })
      socket.onmessage = (m) => {
        const frame = decodeFrame(new Uint8Array(m.data as ArrayBuffer), () => new Date().toISOString())
        if (frame.seq !== undefined) done(undefined, frame.seq)
      }
      socket.onerror = () => done(new Error(`cannot subscribe to ${url.host} to note its seq`))
    })
}
