// The recorded Jetstream v2 exchanges in test/fixtures/jetstream-v2/ (see its README for
// provenance and what was transformed): loaders for the archive manifest and bodies, the live
// frames (text lines or length-prefixed binary messages), the Go client's decoded views and the
// truth. Compressed files are .zst (node:zlib reads them).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, zstdDecompressSync } from 'node:zlib'
import { repoRoot } from './fixture-paths.ts'

export const jetstreamV2Dir = join(repoRoot, 'test', 'fixtures', 'jetstream-v2')

export function fixtureBytes(path: string): Buffer {
  const bytes = readFileSync(join(jetstreamV2Dir, path))
  if (path.endsWith('.zst')) return zstdDecompressSync(bytes)
  if (path.endsWith('.gz')) return gunzipSync(bytes)
  return bytes
}

function jsonLines<T>(path: string): T[] {
  return fixtureBytes(path)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T)
}

export interface Exchange {
  readonly n: number
  readonly label: string
  readonly method: string
  readonly path: string
  readonly query?: string
  readonly requestHeaders?: Record<string, string>
  readonly requestBody?: unknown
  readonly status: number
  readonly responseHeaders: Record<string, string>
  readonly bodyFile: string
  readonly bodyBytes: number
  readonly bodySha256: string
}

export function archiveExchanges(): Exchange[] {
  return jsonLines<Exchange>('archive/manifest.jsonl')
}

export function exchangeBody(exchange: Exchange): Buffer {
  return fixtureBytes(join('archive', exchange.bodyFile))
}

/** the recorded full-replay segments by name (seg_000000000N.jss → bytes) */
export function recordedSegments(): Map<string, Buffer> {
  const segments = new Map<string, Buffer>()
  for (const e of archiveExchanges()) {
    if (e.label.startsWith('full_getSegment_')) {
      segments.set(new URLSearchParams(e.query).get('name') ?? '', exchangeBody(e))
    }
  }
  return segments
}

export function zstdDictionary(): Buffer {
  return fixtureBytes('archive/bodies/001_getZstdDictionary.bin')
}

export interface DecodedRow {
  readonly segment: string
  readonly block: number
  readonly seq: number
  readonly witnessedAt: number
  readonly indexedAt: number
  readonly kind: number
  readonly did: string
  readonly collection: string
  readonly rkey: string
  readonly rev: string
  readonly payloadLen: number
  readonly payloadSha256: string
  readonly payloadCid: string
}

/** the upstream Go segment package's decode of every row of the five segments */
export function referenceRows(): DecodedRow[] {
  return jsonLines<DecodedRow>('archive/segments_decoded.jsonl.gz')
}

export interface LiveConnection {
  readonly url: string
  readonly requestHeaders: Record<string, string>
  readonly status: number
  readonly responseHeaders: Record<string, string>
  readonly body?: { error: string; message: string }
  readonly frames: number
  readonly firstSeq?: number
  readonly lastSeq?: number
}

export function liveConnection(name: string): LiveConnection {
  return JSON.parse(fixtureBytes(`live/${name}/connection.json`).toString('utf8')) as LiveConnection
}

/** a recorded stream's websocket messages, byte for byte (text streams: one per line) */
export function liveMessages(name: string): { data: Buffer; binary: boolean }[] {
  const connection = liveConnection(name)
  if (connection.url.includes('zstdDictionary=')) {
    const bin = fixtureBytes(`live/${name}/frames.bin`)
    const out: { data: Buffer; binary: boolean }[] = []
    for (let at = 0; at < bin.length; ) {
      const len = bin.readUInt32LE(at)
      out.push({ data: bin.subarray(at + 4, at + 4 + len), binary: true })
      at += 4 + len
    }
    return out
  }
  const text = fixtureBytes(`live/${name}/frames.jsonl.zst`)
  const out: { data: Buffer; binary: boolean }[] = []
  for (let at = 0; at < text.length; ) {
    const nl = text.indexOf(10, at)
    const end = nl === -1 ? text.length : nl
    out.push({ data: text.subarray(at, end), binary: false })
    at = end + 1
  }
  return out
}

/** one event of the Go client's decoded view (cmd/client --print), without record_cbor (README) */
export interface ClientEvent {
  readonly did: string
  readonly cursor: number
  readonly time_us: number
  readonly kind: 'commit' | 'identity' | 'account' | 'sync'
  readonly commit?: {
    operation: string
    collection: string
    rkey: string
    rev: string
    cid?: string
    record?: unknown
  }
  readonly identity?: { did: string; handle?: string; seq: number; time: string }
  readonly account?: { did: string; active: boolean; status?: string; seq: number; time: string }
  readonly sync?: { did: string; rev: string; seq: number; time: string }
}

export function clientView(name: 'client_full' | 'client_live'): ClientEvent[] {
  return jsonLines<ClientEvent>(`client/${name}.jsonl.zst`)
}

interface TruthAccount {
  readonly index: number
  readonly did: string
  readonly deleted: boolean
  readonly records: { collection: string; rkey: string; cid: string }[]
}

function worldTruth(): TruthAccount[] {
  return JSON.parse(fixtureBytes('truth/world_truth.json.zst').toString('utf8')) as TruthAccount[]
}

/** what folding needs of an event (from the canonical event or from a standard message read back) */
export interface FoldEvent {
  readonly seq: number
  readonly kind: string
  readonly did: string
  readonly action?: string
  readonly collection?: string
  readonly rkey?: string
  readonly cid?: string
  readonly active?: boolean
  readonly status?: string
}

/**
 * The recording's fold rule (its README): in seq order, create/update put, delete removes,
 * #sync and #account active=false status=deleted clear the DID, nothing else changes anything.
 * Then compared with the truth: accounts whose record set differs, and records on live accounts.
 */
export function foldAgainstTruth(events: readonly FoldEvent[]): {
  accounts: number
  records: number
  mismatched: string[]
} {
  const state = new Map<string, Map<string, string>>()
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const repo = state.get(e.did) ?? new Map<string, string>()
    state.set(e.did, repo)
    if (e.kind === 'operation') {
      const path = `${e.collection}/${e.rkey}`
      if (e.action === 'delete') repo.delete(path)
      else repo.set(path, e.cid ?? '')
    } else if (e.kind === 'sync' || (e.kind === 'account' && e.active === false && e.status === 'deleted')) {
      repo.clear()
    }
  }
  const mismatched: string[] = []
  let records = 0
  const truth = worldTruth()
  for (const account of truth) {
    const want = new Map(
      account.deleted ? [] : account.records.map((r) => [`${r.collection}/${r.rkey}`, r.cid]),
    )
    const got = state.get(account.did) ?? new Map()
    const same = want.size === got.size && [...want].every(([k, v]) => got.get(k) === v)
    if (!same) mismatched.push(account.did)
    if (!account.deleted) records += got.size
  }
  return { accounts: truth.length, records, mismatched }
}

/** the recorded archive segments' rows decoded by atkafka's source code, in order (2,888 events) */
export async function recordedArchiveEvents(): Promise<
  import('../../src/events/atproto-event.ts').AtprotoEvent[]
> {
  const { rowToEvent } = await import('../../src/sources/jetstream-v2/archive-event.ts')
  const { parseSegment, segmentBlockRows } = await import('../../src/sources/jetstream-v2/read-segment.ts')
  const events = []
  for (const bytes of recordedSegments().values()) {
    const segment = parseSegment(bytes)
    for (let b = 0; b < segment.blocks.length; b++) {
      for (const row of segmentBlockRows(bytes, segment, b)) {
        const event = rowToEvent(row)
        if (event instanceof Error) throw event
        events.push(event)
      }
    }
  }
  return events
}

/** the recording decoded by atkafka's source code: archive rows, then live frames past the seam (6,689 events) */
export async function recordedEvents(): Promise<import('../../src/events/atproto-event.ts').AtprotoEvent[]> {
  const { decodeLiveMessage } = await import('../../src/sources/jetstream-v2/live-frame.ts')
  const events = await recordedArchiveEvents()
  for (const message of liveMessages('cutover_plain')) {
    const frame = decodeLiveMessage(message.data.toString('utf8'), () => '')
    if (frame.seq !== undefined && frame.seq > 2890) events.push(...frame.events)
  }
  return events
}
