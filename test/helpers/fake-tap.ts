// A loopback Tap for tests: serves Tap's websocket-ack protocol on /channel (text frames, one
// JSON event each; the client answers {"type":"ack","id":N}), with the parts of Tap's outbox
// the client can observe: every event is sent once (to whichever connection is free), stays
// "in flight" until acked, and is resent after `retryTimeoutMs` while unacked (Tap's
// TAP_RETRY_TIMEOUT; a disconnect alone does not resend). HTTP Basic auth (user `admin`) like
// TAP_ADMIN_PASSWORD; a client frame that is not JSON ends the connection, as in Tap.
// Knobs for faults the real Tap never produces: raw text frames (malformed JSON, unknown
// types, huge records), and dropping connections on demand or after N frames.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

const CHANNEL_PATH = '/channel'

/** an event object (JSON-encoded when sent; its numeric `id` is tracked for acks) or a raw text frame */
export type TapFrame = string | { readonly id?: unknown; readonly [key: string]: unknown }

export interface FakeTapOptions {
  /** TAP_ADMIN_PASSWORD: require `Authorization: Basic base64(admin:<password>)` on the upgrade */
  readonly adminPassword?: string
  /** queued before anyone connects */
  readonly events?: readonly TapFrame[]
  /** resend events still unacked this long after they were sent (default: never) */
  readonly retryTimeoutMs?: number
  /** terminate each connection (no close frame) right after its Nth frame was written */
  readonly dropAfterFrames?: number
  /** stop writing while this many bytes are not yet handed to the kernel (default 4 MiB) */
  readonly highWaterBytes?: number
}

interface FakeTapConnection {
  /** the upgrade's Authorization header */
  readonly authorization: string | undefined
  /** false when refused (wrong or missing password) */
  readonly accepted: boolean
  /** ids of the events sent on this connection, in order (redeliveries included) */
  readonly sentIds: number[]
  /** ids acked on this connection, in order */
  readonly ackedIds: number[]
  readonly at: number
}

export interface FakeTap extends AsyncDisposable {
  /** ws://127.0.0.1:<port>: the --tap-host (clients append /channel) */
  readonly url: string
  readonly channelUrl: string
  /** every upgrade request, in order, refused ones included */
  readonly connections: readonly FakeTapConnection[]
  /** connections open now */
  readonly open: number
  /** frames written, over all connections, redeliveries included */
  readonly sent: number
  /** every ack received, in order (duplicates included) */
  readonly acks: readonly number[]
  /** distinct ids acked */
  readonly ackedIds: ReadonlySet<number>
  /** ids sent at least once and not acked yet */
  readonly unackedIds: number[]
  /** client frames that were not acks (JSON) or not JSON (these end the connection) */
  readonly otherClientFrames: readonly string[]
  /** queues events and sends them to connected clients */
  send(events: readonly TapFrame[]): void
  /** queues pre-encoded frames, each with the id its ack will carry (benchmarks: no re-encoding) */
  sendRaw(frames: readonly { readonly text: string; readonly id?: number }[]): void
  /** resends every sent-but-unacked event now (what Tap's retry timer does) */
  redeliver(): void
  /** resolves once every id is acked (or `count` distinct ids are); rejects after the timeout */
  waitForAcks(what: Iterable<number> | { count: number }, timeoutMs?: number): Promise<void>
  /** abruptly terminates every open connection (no close frame) */
  dropConnections(): void
  close(): Promise<void>
}

interface Entry {
  readonly id: number | undefined
  text: string
  sentAt: number
  acked: boolean
}

interface Client {
  readonly ws: WebSocket
  readonly info: FakeTapConnection
  sentHere: number
  inFlight: number
  done: boolean
}

// ---- event builders ------------------------------------------------------------------------

export interface RecordEventFields {
  live?: boolean
  did?: string
  rev?: string
  collection?: string
  rkey?: string
  action?: 'create' | 'update' | 'delete'
  cid?: string
  record?: Record<string, unknown>
}

/** a Tap record event as Tap writes it (cid and record left out for deletes) */
export function recordEvent(id: number, fields: RecordEventFields = {}): TapFrame {
  const action = fields.action ?? 'create'
  const rkey = fields.rkey ?? '3mptbyplj5d2a'
  const body: Record<string, unknown> = {
    live: fields.live ?? true,
    did: fields.did ?? 'did:plc:wq4aajammjtxdomz3e23667t',
    rev: fields.rev ?? '3mptbypluud2a',
    collection: fields.collection ?? 'app.bsky.feed.like',
    rkey,
    action,
  }
  if (action !== 'delete') {
    body.record = fields.record ?? {
      $type: 'app.bsky.feed.like',
      createdAt: '2026-07-04T14:38:08.999Z',
      subject: {
        cid: 'bafyreiftot7eltsc3f6g4qktykmbv6jcmdmhcx5osscan6jpdxkpqcmcza',
        uri: 'at://did:plc:r2zybk6op3ymzpz6jhqpkoy5/app.bsky.feed.post/3mpsjbtci2c2o',
      },
    }
    body.cid = fields.cid ?? 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i'
  }
  return { id, type: 'record', record: body }
}

export interface IdentityEventFields {
  did?: string
  handle?: string
  isActive?: boolean
  status?: string
  /** `identity` + `is_active` (what Tap writes, default) or `user` + `isActive` (its README / the Go original) */
  spelling?: 'identity' | 'user'
}

export function identityEvent(id: number, fields: IdentityEventFields = {}): TapFrame {
  const spelling = fields.spelling ?? 'identity'
  const body = {
    did: fields.did ?? 'did:plc:wq4aajammjtxdomz3e23667t',
    handle: fields.handle ?? 'alice.test',
    [spelling === 'identity' ? 'is_active' : 'isActive']: fields.isActive ?? true,
    status: fields.status ?? 'active',
  }
  return { id, type: spelling, [spelling]: body }
}

// ---- the server ----------------------------------------------------------------------------

export async function startFakeTap(options: FakeTapOptions = {}): Promise<FakeTap> {
  const highWater = options.highWaterBytes ?? 4 * 1024 * 1024
  const expectedAuth = options.adminPassword
    ? `Basic ${Buffer.from(`admin:${options.adminPassword}`).toString('base64')}`
    : undefined
  const entries: Entry[] = [] // in send order
  const byId = new Map<number, Entry>()
  let next = 0 // first entry never sent
  const resend: Entry[] = [] // redeliveries, sent before new entries
  const connections: FakeTapConnection[] = []
  const clients = new Set<Client>()
  const acks: number[] = []
  const ackedIds = new Set<number>()
  const otherClientFrames: string[] = []
  const ackWaiters = new Set<() => void>()
  let sent = 0

  const take = (): Entry | undefined => {
    while (resend.length > 0) {
      const e = resend.shift() as Entry
      if (!e.acked) return e
    }
    return next < entries.length ? entries[next++] : undefined
  }
  const hasWork = () => resend.length > 0 || next < entries.length

  function pump(client: Client): void {
    const { ws } = client
    while (!client.done && ws.readyState === ws.OPEN && client.inFlight <= highWater && hasWork()) {
      const entry = take()
      if (!entry) return
      const { text } = entry
      const drop = options.dropAfterFrames !== undefined && client.sentHere + 1 >= options.dropAfterFrames
      entry.sentAt = Date.now()
      if (entry.id !== undefined) client.info.sentIds.push(entry.id)
      client.inFlight += text.length
      sent++
      client.sentHere++
      ws.send(text, () => {
        client.inFlight -= text.length
        if (drop) ws.terminate()
        else pump(client)
      })
      if (drop) {
        client.done = true
        return
      }
    }
  }
  const pumpAll = () => {
    for (const c of clients) pump(c)
  }

  const onClientFrame = (client: Client, data: Buffer) => {
    const text = data.toString('utf8')
    let msg: { type?: unknown; id?: unknown }
    try {
      msg = JSON.parse(text) as typeof msg
    } catch {
      otherClientFrames.push(text)
      client.ws.close(1003, 'not JSON') // Tap's ReadJSON fails and the connection ends
      return
    }
    if (msg?.type !== 'ack' || typeof msg.id !== 'number') {
      otherClientFrames.push(text) // Tap ignores JSON that is not an ack
      return
    }
    acks.push(msg.id)
    client.info.ackedIds.push(msg.id)
    ackedIds.add(msg.id)
    const entry = byId.get(msg.id)
    if (entry && !entry.acked) {
      entry.acked = true
      entry.text = '' // Tap deletes acked rows; let long benchmarks run in bounded memory
    }
    for (const wake of ackWaiters) wake()
  }

  const server = createServer((req, res) => {
    if (expectedAuth && req.headers.authorization !== expectedAuth) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Unauthorized"}')
      return
    }
    if (req.url === '/health')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    else res.writeHead(404).end()
  })
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    // a client that gets a refusal may reset the socket before reading it all (atkafka's
    // reader terminates a refused upgrade): that reset is the expected end, not a failure
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') throw err
    })
    const path = new URL(req.url ?? '/', 'http://tap').pathname
    if (path !== CHANNEL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const authorization = req.headers.authorization
    const accepted = !expectedAuth || authorization === expectedAuth
    const info: FakeTapConnection = { authorization, accepted, sentIds: [], ackedIds: [], at: Date.now() }
    connections.push(info)
    if (!accepted) {
      const body = '{"error":"Unauthorized","message":"invalid credentials"}'
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { ws, info, sentHere: 0, inFlight: 0, done: false }
      clients.add(client)
      const gone = () => {
        client.done = true
        clients.delete(client)
      }
      ws.on('close', gone)
      ws.on('error', gone)
      ws.on('message', (data: Buffer) => onClientFrame(client, data))
      pump(client)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const redeliver = () => {
    const queued = new Set(resend)
    for (let i = 0; i < next; i++) {
      const e = entries[i] as Entry
      if (!e.acked && e.id !== undefined && !queued.has(e)) resend.push(e)
    }
    pumpAll()
  }
  let retryTimer: NodeJS.Timeout | undefined
  if (options.retryTimeoutMs !== undefined) {
    const timeout = options.retryTimeoutMs
    retryTimer = setInterval(
      () => {
        const now = Date.now()
        const queued = new Set(resend)
        for (let i = 0; i < next; i++) {
          const e = entries[i] as Entry
          if (!e.acked && e.id !== undefined && !queued.has(e) && now - e.sentAt >= timeout) resend.push(e)
        }
        pumpAll()
      },
      Math.max(20, Math.floor(timeout / 4)),
    )
    retryTimer.unref()
  }

  const enqueue = (text: string, id: number | undefined) => {
    const entry: Entry = { id, text, sentAt: 0, acked: false }
    entries.push(entry)
    if (id !== undefined) byId.set(id, entry)
  }
  const send = (events: readonly TapFrame[]) => {
    for (const event of events) {
      const rawId = typeof event === 'string' ? undefined : event.id
      const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? rawId : undefined
      enqueue(typeof event === 'string' ? event : JSON.stringify(event), id)
    }
    pumpAll()
  }
  const sendRaw = (frames: readonly { readonly text: string; readonly id?: number }[]) => {
    for (const { text, id } of frames) enqueue(text, id)
    pumpAll()
  }
  if (options.events) send(options.events)

  // generous: a wait for an outcome, not a timing check (under load, topic creation and the
  // first produce of a run can take tens of seconds)
  const waitForAcks = (what: Iterable<number> | { count: number }, timeoutMs = 120_000) => {
    const ids = 'count' in what ? undefined : [...(what as Iterable<number>)]
    const done = () =>
      ids ? ids.every((id) => ackedIds.has(id)) : ackedIds.size >= (what as { count: number }).count
    return new Promise<void>((resolve, reject) => {
      if (done()) return resolve()
      const timer = setTimeout(() => {
        ackWaiters.delete(check)
        const missing = ids ? ids.filter((id) => !ackedIds.has(id)).slice(0, 20) : []
        reject(
          new Error(
            `fake tap: timed out after ${timeoutMs} ms waiting for acks (${ackedIds.size} acked; missing e.g. ${missing.join(',')})`,
          ),
        )
      }, timeoutMs)
      function check() {
        if (!done()) return
        clearTimeout(timer)
        ackWaiters.delete(check)
        resolve()
      }
      ackWaiters.add(check)
    })
  }

  const dropConnections = () => {
    for (const c of clients) {
      c.done = true
      c.ws.terminate()
    }
  }
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(retryTimer)
      dropConnections()
      wss.close()
      server.closeAllConnections()
      server.close(() => resolve())
    })
    return closing
  }

  return {
    url: `ws://127.0.0.1:${port}`,
    channelUrl: `ws://127.0.0.1:${port}${CHANNEL_PATH}`,
    connections,
    get open() {
      return clients.size
    },
    get sent() {
      return sent
    },
    acks,
    ackedIds,
    get unackedIds() {
      const out: number[] = []
      for (let i = 0; i < next; i++) {
        const e = entries[i] as Entry
        if (!e.acked && e.id !== undefined) out.push(e.id)
      }
      return out
    },
    otherClientFrames,
    send,
    sendRaw,
    redeliver,
    waitForAcks,
    dropConnections,
    close,
    [Symbol.asyncDispose]: close,
  }
}
