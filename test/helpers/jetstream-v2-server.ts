// A local Jetstream v2 for tests: serves the recorded exchanges of test/fixtures/jetstream-v2
// byte for byte. Archive: every recorded request gets its recorded status, headers and body;
// getSegment also answers the Range / If-Range / If-None-Match requests the recording did not
// make, by HTTP's rules from the recorded file (the recorded range answers are reproduced
// exactly: see the stand-in's test), and planSnapshot also plans unfiltered windows it was not
// asked (segments overlapping (afterSeq, beforeSeq], at most 4 per page as the recorded server
// was configured) — that is what a resumed backfill asks. Live: subscribeEvents replays the
// recorded cut-over stream (plain or dict-zstd, the recorded bytes) from any cursor inside it
// (inclusive, as the server does), filtered by collections as the server filters; the
// recorded rejections (CursorTooOld, UnknownZstdDictionary, bad parameters) for their requests.
// Faults the real server shows only under load: drop each connection after N frames, send
// ConsumerTooSlow after N frames, a lookback floor below which cursors are too old.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { zstdDecompressSync } from 'node:zlib'
import { type WebSocket, WebSocketServer } from 'ws'
import {
  archiveExchanges,
  type Exchange,
  exchangeBody,
  liveConnection,
  liveMessages,
  zstdDictionary,
} from './jetstream-v2-fixtures.ts'

const XRPC = '/xrpc/network.bsky.jetstream.'
const DICTIONARY_ID = 20260811
const PLAN_MAX_ENTRIES = 4

export interface StandInOptions {
  /** cut every connection (terminate, no close frame) after it was sent this many frames */
  readonly dropAfterFrames?: number
  /** after this many frames send {"$type":"error","error":"ConsumerTooSlow"} and close (first connection only) */
  readonly consumerTooSlowAfter?: number
  /** seq cursors below this are refused with CursorTooOld (the recorded message, this floor) */
  readonly lookbackFloor?: number
  /** refuse with CursorTooOld at most this many times (then the floor is lifted) */
  readonly lookbackRefusals?: number
  /** frames written per event-loop turn before waiting for the socket to drain (pacing; default 64) */
  readonly framesPerTurn?: number
  /** wait this long between turns (default 0): slows a replay so a test can act mid-stream */
  readonly turnDelayMs?: number
  /** serve these segments (name → bytes) instead of the recorded five (the bench's re-sequenced copies) */
  readonly segments?: ReadonlyMap<string, Buffer>
  /** hold every getSegment / getBlock answer this long (a slow archive, so a test can act mid-download) */
  readonly downloadDelayMs?: number
  /** answer every getSegment / getBlock with this status instead (an outage) */
  readonly failDownloads?: number
}

export interface StandIn extends AsyncDisposable {
  /** http://127.0.0.1:port */
  readonly url: string
  /** every HTTP request and websocket connection, in order: method, path and query */
  readonly requests: string[]
  /** frames sent over all connections */
  readonly sent: number
  /** change the faults while running */
  options: StandInOptions
  close(): Promise<void>
}

interface SegmentInfo {
  readonly name: string
  readonly index: number
  readonly checksum: string
  readonly minSeq: number
  readonly maxSeq: number
  readonly bytes: Buffer
}

function segmentInfo(name: string, bytes: Buffer): SegmentInfo {
  return {
    name,
    index: Number(name.slice(4, 14)),
    checksum: bytes.readBigUInt64LE(4).toString(16).padStart(16, '0'),
    minSeq: Number(bytes.readBigUInt64LE(26)),
    maxSeq: Number(bytes.readBigUInt64LE(34)),
    bytes,
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    )
  }
  return v
}

/** one live message of the recorded cut-over stream, with its seq and payload (for filtering) */
interface LiveMessage {
  readonly seq: number | undefined
  readonly collection: string | undefined
  readonly plain: Buffer
  readonly zstd: Buffer
}

function recordedLive(): LiveMessage[] {
  const plain = liveMessages('cutover_plain')
  const zstd = liveMessages('cutover_zstd')
  const dictionary = zstdDictionary()
  return plain.map((m, i) => {
    const compressed = zstd[i]!.data
    // the recording's claim, checked once: each zstd message is the plain one, exactly
    if (!zstdDecompressSync(compressed, { dictionary } as never).equals(m.data)) {
      throw new Error(`recorded zstd message ${i} is not the plain message`)
    }
    const payload = JSON.parse(m.data.toString()).payload
    return {
      seq: payload.seq,
      collection: payload.$type.endsWith('#commit') ? payload.collection : undefined,
      plain: m.data,
      zstd: compressed,
    }
  })
}

export async function startJetstreamStandIn(initial: StandInOptions = {}): Promise<StandIn> {
  const exchanges = archiveExchanges()
  const bodies = new Map<string, Buffer>()
  const body = (e: Exchange) => {
    let b = bodies.get(e.bodyFile)
    if (b === undefined) {
      b = exchangeBody(e)
      bodies.set(e.bodyFile, b)
    }
    return b
  }
  const recordedSegments = new Map<string, SegmentInfo>()
  for (const e of exchanges) {
    if (e.label.startsWith('full_getSegment_')) {
      const name = new URLSearchParams(e.query).get('name')!
      recordedSegments.set(name, segmentInfo(name, body(e)))
    }
  }
  const live = recordedLive()
  const dictionary = zstdDictionary()
  const rejections = [
    'err_bad_cursor',
    'err_bad_kind',
    'err_collections_without_commit',
    'err_cursor_too_old',
    'err_legacy_param',
    'err_unknown_zstd_dictionary',
  ].map(liveConnection)

  const requests: string[] = []
  let sent = 0
  let connections = 0
  let tooOld = 0
  const state = { options: initial }
  const segments = () =>
    state.options.segments
      ? new Map([...state.options.segments].map(([n, b]) => [n, segmentInfo(n, b)]))
      : recordedSegments

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, data?: Buffer) => {
    res.writeHead(status, headers)
    res.end(data)
  }
  const xrpcError = (res: ServerResponse, status: number, error: string, message: string) =>
    send(res, status, { 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify({ error, message })))

  /** a recorded exchange for exactly this request */
  const recorded = (
    method: string,
    path: string,
    query: string,
    headers: IncomingMessage['headers'],
    json: unknown,
  ) =>
    exchanges.find((e) => {
      if (e.method !== method || e.path !== path || (e.query ?? '') !== query) return false
      const want = e.requestHeaders ?? {}
      for (const name of ['range', 'if-range', 'if-none-match']) {
        const key = Object.keys(want).find((k) => k.toLowerCase() === name)
        if ((key ? want[key] : undefined) !== headers[name]) return false
      }
      return method !== 'POST' || sameJson(e.requestBody, json)
    })

  const replay = (res: ServerResponse, e: Exchange) => {
    const data = body(e)
    send(res, e.status, e.responseHeaders, e.method === 'HEAD' ? undefined : data)
  }

  /** getSegment by HTTP's rules from the file (what the recorded range answers show) */
  const serveSegment = (req: IncomingMessage, res: ServerResponse, info: SegmentInfo) => {
    const etag = `"${info.checksum}"`
    const base = {
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'public, no-cache',
      'Content-Type': 'application/octet-stream',
      ETag: etag,
      'Last-Modified': 'Mon, 07 Dec 2026 07:10:15 GMT',
    }
    if (req.headers['if-none-match'] === etag) return send(res, 304, base)
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    const ifRange = req.headers['if-range']
    if (range && (ifRange === undefined || ifRange === etag)) {
      const start = Number(range[1])
      const end = Math.min(range[2] ? Number(range[2]) : info.bytes.length - 1, info.bytes.length - 1)
      if (start > end) return send(res, 416, { ...base, 'Content-Range': `bytes */${info.bytes.length}` })
      const part = info.bytes.subarray(start, end + 1)
      return send(
        res,
        206,
        {
          ...base,
          'Content-Length': String(part.length),
          'Content-Range': `bytes ${start}-${end}/${info.bytes.length}`,
        },
        part,
      )
    }
    send(res, 200, { ...base, 'Content-Length': String(info.bytes.length) }, info.bytes)
  }

  const plan = (res: ServerResponse, request: Record<string, unknown>) => {
    const all = [...segments().values()].sort((a, b) => a.index - b.index)
    const tip = all.at(-1)?.maxSeq ?? 0
    const before = typeof request.beforeSeq === 'number' ? Math.min(request.beforeSeq, tip) : tip
    const after = typeof request.afterSeq === 'number' ? request.afterSeq : 0
    const chosen = all.filter((s) => s.maxSeq > after && s.minSeq <= before).slice(0, PLAN_MAX_ENTRIES)
    const last = chosen.at(-1)
    const truncated = last !== undefined && all.some((s) => s.index > last.index && s.minSeq <= before)
    const answer = {
      plannedThroughSeq: truncated ? last.maxSeq : before,
      sealedTipSeq: before,
      segments: chosen.map((s) => ({
        checksum: s.checksum,
        index: s.index,
        maxSeq: s.maxSeq,
        minSeq: s.minSeq,
        mode: 'segment',
        name: s.name,
      })),
      stats: {
        blocksMatched: 0,
        entries: chosen.length,
        segmentsExamined: all.length,
        segmentsMatched: chosen.length,
      },
    }
    const data = Buffer.from(JSON.stringify(answer))
    send(res, 200, { 'Content-Length': String(data.length), 'Content-Type': 'application/json' }, data)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const query = url.search.slice(1)
    requests.push(`${req.method} ${url.pathname}${url.search}`)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    const delay = state.options.downloadDelayMs ?? 0
    const isDownload = url.pathname.endsWith('.getSegment') || url.pathname.endsWith('.getBlock')
    req.on('end', () => (isDownload && delay > 0 ? setTimeout(answer, delay) : answer()))
    const answer = () => {
      let json: unknown
      if (req.method === 'POST') {
        try {
          json = JSON.parse(Buffer.concat(chunks).toString() || '{}')
        } catch {
          return xrpcError(res, 400, 'InvalidRequest', 'body is not JSON')
        }
      }
      const method = url.pathname.startsWith(XRPC) ? url.pathname.slice(XRPC.length) : undefined
      const failing = state.options.failDownloads
      if (failing !== undefined && (method === 'getSegment' || method === 'getBlock')) {
        return xrpcError(res, failing, 'InternalServerError', 'stand-in outage')
      }
      if (!state.options.segments) {
        const e = recorded(req.method ?? 'GET', url.pathname, query, req.headers, json)
        if (e) return replay(res, e)
      }
      if (method === 'planSnapshot') {
        if (req.method !== 'POST') return xrpcError(res, 405, 'MethodNotAllowed', 'expected POST')
        const r = json as Record<string, unknown>
        if (r.kinds || r.dids || r.collections) {
          return xrpcError(res, 501, 'NotRecorded', 'the stand-in plans unfiltered windows only')
        }
        return plan(res, r)
      }
      if (method === 'getSegment' && req.method === 'GET') {
        const info = segments().get(url.searchParams.get('name') ?? '')
        if (!info) return xrpcError(res, 404, 'SegmentNotFound', 'segment not found')
        return serveSegment(req, res, info)
      }
      if (method === 'getZstdDictionary' && req.method === 'GET') {
        const id = url.searchParams.get('id')
        if (id !== null && id !== String(DICTIONARY_ID)) {
          return xrpcError(
            res,
            404,
            'DictionaryNotFound',
            `no dictionary with id ${id}; current dictionary id is ${DICTIONARY_ID}`,
          )
        }
        return send(
          res,
          200,
          {
            'Cache-Control': 'public, max-age=31536000, immutable',
            'Content-Type': 'application/octet-stream',
            ETag: `"zstd-dict-${DICTIONARY_ID}"`,
          },
          dictionary,
        )
      }
      xrpcError(res, 501, 'MethodNotImplemented', `method not implemented: ${method ?? url.pathname}`)
    }
  })

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (p) => (p.has('xrpc.v1.json') ? 'xrpc.v1.json' : false),
  })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(`WS ${url.pathname}${url.search}`)
    const refuse = (status: number, error: string, message: string) => {
      const data = JSON.stringify({ error, message })
      socket.end(
        `HTTP/1.1 ${status} Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\nConnection: close\r\n\r\n${data}`,
      )
    }
    if (url.pathname !== `${XRPC}subscribeEvents`) return refuse(404, 'MethodNotImplemented', 'not found')
    const rejected = rejections.find((r) => r.url === `${url.pathname}${url.search}`)
    if (rejected?.body && rejected.body.error !== 'CursorTooOld') {
      return refuse(rejected.status, rejected.body.error, rejected.body.message)
    }
    const params = url.searchParams
    const dict = params.get('zstdDictionary')
    if (dict !== null && dict !== String(DICTIONARY_ID)) {
      return refuse(
        400,
        'UnknownZstdDictionary',
        `unknown zstd dictionary id ${dict}; current dictionary id is ${DICTIONARY_ID} (fetch it via getZstdDictionary and reconnect)`,
      )
    }
    const kinds = params.getAll('kinds')
    const collections = params.getAll('collections')
    if (params.has('wantedCollections') || params.has('wantedDids') || params.getAll('dids').length > 0) {
      return refuse(400, 'InvalidRequest', 'the stand-in serves no legacy parameters and no dids filter')
    }
    const cursorText = params.get('cursor')
    const cursor = cursorText === null ? undefined : Number(cursorText)
    if (cursor !== undefined && !Number.isSafeInteger(cursor)) {
      return refuse(400, 'InvalidRequest', `subscribe: invalid cursor: ${JSON.stringify(cursorText)}`)
    }
    const floor = state.options.lookbackFloor
    const refusals = state.options.lookbackRefusals ?? Number.POSITIVE_INFINITY
    if (cursor !== undefined && floor !== undefined && cursor < floor && tooOld < refusals) {
      tooOld++
      return refuse(
        400,
        'CursorTooOld',
        `subscribe: cursor too old: cursor ${cursor} below lookback floor ${floor}; re-backfill from your last seq`,
      )
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const tip = live.at(-1)?.seq ?? 0
      const start =
        cursor === undefined || cursor > tip ? live.length : live.findIndex((m) => (m.seq ?? 0) >= cursor)
      const wanted = (m: LiveMessage) =>
        (kinds.length === 0 || kinds.includes(m.collection === undefined ? kindOf(m) : 'commit')) &&
        (collections.length === 0 ||
          m.collection === undefined ||
          collections.some((c) => matches(c, m.collection!)))
      const frames = live
        .slice(Math.max(start, 0))
        .filter(wanted)
        .map((m) => (dict ? m.zstd : m.plain))
      stream(ws, frames, dict !== null, connections++ === 0)
    })
  })

  const kindOf = (m: LiveMessage) => /#(\w+)"/.exec(m.plain.subarray(0, 120).toString())?.[1] ?? ''
  const matches = (pattern: string, collection: string) =>
    pattern.endsWith('.*') ? collection.startsWith(pattern.slice(0, -1)) : pattern === collection

  const stream = (ws: WebSocket, frames: Buffer[], binary: boolean, first: boolean) => {
    let i = 0
    let perConnection = 0
    const turn = () => {
      const { dropAfterFrames, consumerTooSlowAfter, framesPerTurn = 64, turnDelayMs = 0 } = state.options
      for (let n = 0; n < framesPerTurn && i < frames.length; n++) {
        if (dropAfterFrames !== undefined && perConnection >= dropAfterFrames) return ws.terminate()
        if (first && consumerTooSlowAfter !== undefined && perConnection >= consumerTooSlowAfter) {
          ws.send('{"$type":"error","error":"ConsumerTooSlow","message":"consumer too slow"}')
          return ws.close(1008, 'ConsumerTooSlow')
        }
        ws.send(frames[i++]!, { binary })
        perConnection++
        sent++
      }
      if (i >= frames.length) return // the recording ends: the connection stays open, idle
      // wait for the socket to drain below a bound before the next turn (ws has no drain event)
      const next = () => (turnDelayMs > 0 ? setTimeout(turn, turnDelayMs) : setImmediate(turn))
      if (ws.bufferedAmount < 1 << 20) return next()
      const poll = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return clearInterval(poll)
        if (ws.bufferedAmount < 1 << 19) {
          clearInterval(poll)
          next()
        }
      }, 5)
    }
    turn()
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const close = async () => {
    for (const ws of wss.clients) ws.terminate()
    wss.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get sent() {
      return sent
    },
    get options() {
      return state.options
    },
    set options(o: StandInOptions) {
      state.options = o
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
