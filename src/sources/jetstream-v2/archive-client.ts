// The archive half of the Jetstream v2 API over fetch: planSnapshot (POST), getSegment (in
// Range requests guarded by If-Range, so a segment rewritten by compaction mid-download is
// noticed and read again whole), getBlock, getZstdDictionary. Every call is bounded in time
// and bytes. An XRPC error envelope becomes a JetstreamApiError (its name, its status); a
// transport failure a SourceConnectionError. The caller decides what retries.
import { SourceConnectionError } from '../../errors.ts'

const XRPC = '/xrpc/network.bsky.jetstream.'

export class JetstreamApiError extends Error {
  override readonly name = 'JetstreamApiError'
  readonly status: number
  /** the XRPC error name (SegmentNotFound, InvalidRequest, …) or `HTTP <status>` */
  readonly error: string
  constructor(status: number, error: string, message: string) {
    super(`${error} (HTTP ${status}): ${message}`)
    this.status = status
    this.error = error
  }
  /** worth trying again: the server or a proxy had a moment (5xx, 429) */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429
  }
}

export interface PlanFilters {
  readonly kinds?: readonly string[]
  readonly dids?: readonly string[]
  readonly collections?: readonly string[]
}

export interface PlanEntry {
  readonly name: string
  readonly index: number
  /** the segment's checksum (16 hex digits): its ETag */
  readonly checksum: string
  readonly minSeq: number
  readonly maxSeq: number
  readonly mode: 'segment' | 'blocks'
  /** mode blocks: inclusive ranges of block indexes */
  readonly blocks?: readonly { readonly first: number; readonly last: number }[]
}

export interface PlanPage {
  readonly plannedThroughSeq: number
  readonly sealedTipSeq: number
  readonly segments: readonly PlanEntry[]
}

export interface ArchiveClientOptions {
  /** http(s)://host[:port] of the Jetstream v2 */
  readonly baseUrl: string
  readonly timeoutMs: number
  /** Range request size for getSegment */
  readonly chunkBytes: number
  /** the largest segment accepted (a bigger Content-Range total is refused) */
  readonly maxSegmentBytes: number
}

const MAX_JSON_BYTES = 4 * 1024 * 1024
const MAX_DICTIONARY_BYTES = 4 * 1024 * 1024
/** a block's compressed frame (upstream blocks are a few hundred KiB) */
const MAX_BLOCK_FRAME_BYTES = 64 * 1024 * 1024

export interface ArchiveClient {
  planSnapshot(
    request: PlanFilters & { afterSeq?: number; beforeSeq?: number },
    signal: AbortSignal,
  ): Promise<PlanPage>
  /** the whole segment; `onBytes` reports each chunk's length as it arrives (for the byte budget) */
  getSegment(entry: PlanEntry, signal: AbortSignal, onBytes?: (n: number) => Promise<void>): Promise<Buffer>
  /** one block's zstd frame (no length prefix); its ETag must end in ":<index>" */
  getBlock(entry: PlanEntry, index: number, signal: AbortSignal): Promise<Buffer>
  /** the current dictionary (or `id`); its id read from its own header */
  getZstdDictionary(signal: AbortSignal, id?: number): Promise<{ id: number; bytes: Buffer }>
}

export function createArchiveClient(options: ArchiveClientOptions): ArchiveClient {
  const url = (method: string, params: Record<string, string> = {}) => {
    const u = new URL(options.baseUrl)
    u.pathname = `${u.pathname.replace(/\/+$/, '')}${XRPC}${method}`
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
    return u
  }

  async function call(
    method: string,
    init: { params?: Record<string, string>; body?: unknown; headers?: Record<string, string> },
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<{ res: Response; body: Buffer }> {
    const target = url(method, init.params)
    const timeout = AbortSignal.timeout(options.timeoutMs)
    let res: Response
    let body: Buffer
    try {
      res = await fetch(target, {
        method: init.body === undefined ? 'GET' : 'POST',
        headers:
          init.body === undefined ? init.headers : { ...init.headers, 'content-type': 'application/json' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.any([signal, timeout]),
      })
      body = await readBounded(res, maxBytes, method)
    } catch (err) {
      if (err instanceof JetstreamApiError) throw err
      throw new SourceConnectionError(
        `${method}: ${(err as Error).message}; url=${target.pathname}${target.search}`,
        {
          cause: err,
        },
      )
    }
    if (res.status >= 400) {
      let error = `HTTP ${res.status}`
      let message = body.toString('utf8', 0, 300)
      try {
        const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown; message?: unknown }
        if (typeof parsed.error === 'string') error = parsed.error
        if (typeof parsed.message === 'string') message = parsed.message
      } catch {
        // not an XRPC envelope (a proxy's page): the status and the start of the body say it
      }
      throw new JetstreamApiError(res.status, error, `${method}: ${message}`)
    }
    return { res, body }
  }

  return {
    async planSnapshot(request, signal) {
      const { body } = await call('planSnapshot', { body: request }, MAX_JSON_BYTES, signal)
      return parsePlan(body)
    },

    async getSegment(entry, signal, onBytes) {
      const etag = `"${entry.checksum}"`
      const parts: Buffer[] = []
      let have = 0
      let total: number | undefined
      for (;;) {
        const end = have + options.chunkBytes - 1
        const { res, body } = await call(
          'getSegment',
          { params: { name: entry.name }, headers: { Range: `bytes=${have}-${end}`, 'If-Range': etag } },
          options.chunkBytes,
          signal,
        )
        if (res.status === 200) {
          // no range support, or the segment changed since the plan (If-Range failed): the whole file came
          if (body.length > options.maxSegmentBytes) {
            throw new JetstreamApiError(
              200,
              'SegmentTooLarge',
              `getSegment ${entry.name}: ${body.length} bytes`,
            )
          }
          await onBytes?.(body.length - have)
          return body
        }
        if (res.status !== 206)
          throw new JetstreamApiError(res.status, `HTTP ${res.status}`, `getSegment ${entry.name}`)
        const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '')
        if (!range || Number(range[1]) !== have || Number(range[2]) - have + 1 !== body.length) {
          throw new JetstreamApiError(
            206,
            'BadContentRange',
            `getSegment ${entry.name}: ${res.headers.get('content-range')}`,
          )
        }
        total = Number(range[3])
        if (total > options.maxSegmentBytes) {
          throw new JetstreamApiError(206, 'SegmentTooLarge', `getSegment ${entry.name}: ${total} bytes`)
        }
        parts.push(body)
        have += body.length
        await onBytes?.(body.length)
        if (have >= total) return parts.length === 1 ? parts[0]! : concat(parts, have)
      }
    },

    async getBlock(entry, index, signal) {
      const { res, body } = await call(
        'getBlock',
        { params: { segment: entry.name, blockIndex: String(index) } },
        MAX_BLOCK_FRAME_BYTES,
        signal,
      )
      // "<segment checksum>:<index>": another checksum is a later generation of the segment
      // (compaction keeps block numbers and seq ranges), so the block is still the one asked for
      const etag = res.headers.get('etag')
      if (etag !== null && !etag.endsWith(`:${index}"`)) {
        throw new JetstreamApiError(res.status, 'BadETag', `getBlock ${entry.name} #${index}: ETag ${etag}`)
      }
      return body
    },

    async getZstdDictionary(signal, id) {
      const params: Record<string, string> = id === undefined ? {} : { id: String(id) }
      const { body } = await call('getZstdDictionary', { params }, MAX_DICTIONARY_BYTES, signal)
      // a structured zstd dictionary: magic 0xEC30A437 (LE), then its id (u32 LE)
      if (body.length < 8 || body.readUInt32LE(0) !== 0xec30a437) {
        throw new JetstreamApiError(200, 'BadDictionary', 'getZstdDictionary: not a zstd dictionary')
      }
      return { id: body.readUInt32LE(4), bytes: body }
    },
  }
}

async function readBounded(res: Response, maxBytes: number, method: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await res.body?.cancel()
    throw new JetstreamApiError(
      res.status,
      'ResponseTooLarge',
      `${method}: ${declared} bytes, over ${maxBytes}`,
    )
  }
  const parts: Uint8Array[] = []
  let n = 0
  if (res.body) {
    for await (const chunk of res.body) {
      n += chunk.length
      if (n > maxBytes) {
        await res.body.cancel()
        throw new JetstreamApiError(res.status, 'ResponseTooLarge', `${method}: over ${maxBytes} bytes`)
      }
      parts.push(chunk)
    }
  }
  return concat(parts, n)
}

/** one buffer of its own (never Node's pooled memory), so it can be transferred to a worker */
function concat(parts: readonly Uint8Array[], n: number): Buffer {
  const out = Buffer.from(new ArrayBuffer(n))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/** planSnapshot's output, checked field by field (lexicon network.bsky.jetstream.planSnapshot) */
export function parsePlan(body: Buffer): PlanPage {
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new JetstreamApiError(200, 'BadPlan', `planSnapshot: not JSON (${(err as Error).message})`)
  }
  const bad = (what: string) => new JetstreamApiError(200, 'BadPlan', `planSnapshot: ${what}`)
  const page = value as Record<string, unknown>
  if (!page || !isSeq(page.plannedThroughSeq) || !isSeq(page.sealedTipSeq) || !Array.isArray(page.segments)) {
    throw bad('plannedThroughSeq, sealedTipSeq or segments missing')
  }
  const segments = page.segments.map((s: Record<string, unknown>, i: number): PlanEntry => {
    const { name, index, checksum, minSeq, maxSeq, mode, blocks } = s ?? {}
    if (
      typeof name !== 'string' ||
      !/^seg_\d{10}\.jss$/.test(name) ||
      !isSeq(index) ||
      typeof checksum !== 'string' ||
      !/^[0-9a-f]{16}$/.test(checksum) ||
      !isSeq(minSeq) ||
      !isSeq(maxSeq) ||
      (mode !== 'segment' && mode !== 'blocks')
    ) {
      throw bad(`segment entry ${i} is malformed`)
    }
    if (mode === 'segment') return { name, index, checksum, minSeq, maxSeq, mode }
    if (!Array.isArray(blocks) || blocks.length === 0)
      throw bad(`segment entry ${i}: mode blocks without blocks`)
    const ranges = blocks.map((b: Record<string, unknown>) => {
      if (!isSeq(b?.first) || !isSeq(b?.last) || b.last < b.first)
        throw bad(`segment entry ${i}: bad block range`)
      return { first: b.first, last: b.last }
    })
    return { name, index, checksum, minSeq, maxSeq, mode, blocks: ranges }
  })
  return { plannedThroughSeq: page.plannedThroughSeq, sealedTipSeq: page.sealedTipSeq, segments }
}
