// A stand-in PDS for what a real one cannot be made to do on demand: it serves recorded repo
// CARs (fetched from the real local PDS, or any bytes) from memory on getRepo, with faults per
// DID, one per request in order: an XRPC error, a 429/503 with Retry-After, a connection cut
// mid-CAR, a complete answer holding half the blocks, a CAR with one record block altered, a
// slow trickle; and listRepos over the DIDs it serves. It counts requests and the most it had in
// flight at once (the worker's per-host limit).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fromUint8Array, writeCarStream } from '@atcute/car'
import { decode } from '@atcute/cbor'

export type Fault =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; error?: string; retryAfter?: string }
  | { kind: 'truncate'; at?: number }
  | { kind: 'short' }
  | { kind: 'alter' }
  | { kind: 'slow'; chunk: number; delayMs: number }

export interface FakePds {
  readonly url: string
  readonly cars: Map<string, Uint8Array>
  readonly faults: Map<string, Fault[]>
  readonly requests: Map<string, number>
  readonly maxInFlight: number
  close(): Promise<void>
}

export async function startFakePds(): Promise<FakePds> {
  const cars = new Map<string, Uint8Array>()
  const faults = new Map<string, Fault[]>()
  const requests = new Map<string, number>()
  let inFlight = 0
  let maxInFlight = 0
  const server: Server = createServer(async (req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    res.on('close', () => inFlight--)
    const url = new URL(req.url ?? '/', 'http://x')
    const did = url.searchParams.get('did') ?? ''
    if (url.pathname === '/xrpc/com.atproto.sync.listRepos') {
      // every DID it serves, sorted, paged by the last DID of the page
      const limit = Number(url.searchParams.get('limit') ?? 500)
      const after = url.searchParams.get('cursor') ?? ''
      const dids = [...cars.keys()].sort().filter((d) => d > after)
      const page = dids.slice(0, limit)
      const body = {
        repos: page.map((did) => ({ did, ...commitOf(cars.get(did)!), active: true })),
        ...(dids.length > limit ? { cursor: page.at(-1) } : {}),
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      return
    }
    if (url.pathname !== '/xrpc/com.atproto.sync.getRepo') {
      res.writeHead(404).end()
      return
    }
    requests.set(did, (requests.get(did) ?? 0) + 1)
    const car = cars.get(did)
    const fault = faults.get(did)?.shift() ?? { kind: 'ok' }
    const xrpcError = (status: number, error: string, headers: Record<string, string> = {}) =>
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify({ error, message: `fake: ${error}` }))
    if (car === undefined) return xrpcError(400, 'RepoNotFound')
    const carHeaders = { 'content-type': 'application/vnd.ipld.car' }
    switch (fault.kind) {
      case 'ok':
        res.writeHead(200, carHeaders).end(car)
        return
      case 'status':
        return xrpcError(
          fault.status,
          fault.error ?? 'InternalServerError',
          fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
        )
      case 'truncate': {
        // the connection dies part way: headers promise the whole length, the socket is destroyed
        res.writeHead(200, { ...carHeaders, 'content-length': String(car.length) })
        res.write(car.subarray(0, fault.at ?? Math.floor(car.length / 2)), () => res.destroy())
        return
      }
      case 'short':
        // a complete answer whose CAR stops at a block boundary half way: blocks are missing
        res.writeHead(200, carHeaders).end(await shortened(car))
        return
      case 'alter':
        res.writeHead(200, carHeaders).end(await altered(car))
        return
      case 'slow': {
        res.writeHead(200, carHeaders)
        for (let at = 0; at < car.length; at += fault.chunk) {
          res.write(car.subarray(at, at + fault.chunk))
          await new Promise((r) => setTimeout(r, fault.delayMs))
        }
        res.end()
        return
      }
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    cars,
    faults,
    requests,
    get maxInFlight() {
      return maxInFlight
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** the CAR with the last byte of one record block (a block carrying $type) flipped */
async function altered(car: Uint8Array): Promise<Uint8Array> {
  const reader = fromUint8Array(car)
  let done = false
  const blocks = Array.from(reader, (e) => {
    const data = e.bytes.slice()
    if (!done && Buffer.from(data).includes('$type')) {
      data[data.length - 1]! ^= 1
      done = true
    }
    return { cid: e.cid.bytes, data }
  })
  return Buffer.concat(await Array.fromAsync(writeCarStream(reader.roots, blocks)))
}

/** listRepos' head (the commit CID) and rev, from the CAR's commit */
function commitOf(car: Uint8Array): { head: string; rev: string } {
  const reader = fromUint8Array(car)
  const root = reader.roots[0]!
  for (const e of reader) {
    if (Buffer.from(e.cid.bytes).equals(Buffer.from((root as unknown as { bytes: Uint8Array }).bytes))) {
      return { head: root.$link, rev: (decode(e.bytes) as { rev: string }).rev }
    }
  }
  throw new Error('the CAR has no commit block')
}

/** the CAR with its second half of blocks left out */
async function shortened(car: Uint8Array): Promise<Uint8Array> {
  const reader = fromUint8Array(car)
  const blocks = Array.from(reader, (e) => ({ cid: e.cid.bytes, data: e.bytes.slice() }))
  return Buffer.concat(
    await Array.fromAsync(writeCarStream(reader.roots, blocks.slice(0, Math.ceil(blocks.length / 2)))),
  )
}

/** a repo's CAR as the PDS at `pdsUrl` serves it */
export async function recordCar(pdsUrl: string, did: string): Promise<Uint8Array> {
  const res = await fetch(`${pdsUrl}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(did)}`)
  if (!res.ok) throw new Error(`getRepo ${did}: ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}
