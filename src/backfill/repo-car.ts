// A repo's CAR (com.atproto.sync.getRepo) → its records, verified, as the bytes stream in.
//
// A repo CAR holds the signed commit (the header's one root), the MST nodes and the record
// blocks, in any order (the reference PDS sends them sorted by CID). A record is yielded once
// three things are known: the commit (its DID must be the repo's, its rev goes on every record),
// an MST node naming the record's path, and the record block itself, whose bytes must hash to
// its CID (checked with its decoding on a worker thread, record-prep.ts). Blocks that wait for the others are kept in a BlockStore (memory, then a spill file).
// When the stream ends, the tree is walked from the commit's `data`: every node that named a
// record must be reachable from it, and no node or record it references may be missing. Any
// failure throws a RepoError: the caller's transaction is aborted, so a repo is all or nothing.
//
// Not verified: the commit's signature (that needs the DID document's key; the item's PDS is
// the repo's host per that document), the MST's own invariants (key order, heights), and blocks
// no node names (ignored).
import { type CarEntry, fromStream } from '@atcute/car'
import { BytesWrapper, CidLinkWrapper, decode } from '@atcute/cbor'
import { CODEC_DCBOR, toString as cidToString } from '@atcute/cid'
import { isDid, isNsid, isRecordKey } from '../events/atproto-syntax.ts'
import type { RawJson } from '../events/raw-json.ts'
import { blockMatchesCid } from '../sources/relay/decode-commit.ts'
import { BlockStore } from './block-store.ts'
import { packRecords, preparedRecord, RECORD_STATUS } from './record-prep.ts'
import { prepareOnWorker } from './record-preparer.ts'

// Records are decoded and written as JSON on a worker thread (record-prep.ts), a batch at a
// time: a batch goes when it holds this many records or bytes, and at most PENDING_BATCHES
// are on the worker per repo (they are read back in order, so records keep the CAR's order).
const BATCH_RECORDS = 256
const BATCH_BYTES = 256 * 1024
const PENDING_BATCHES = 2

/** why a repo could not be read: each is a final outcome for its work item */
export const REPO_FAILURES = [
  'invalid_car', // not a readable CAR v1 with one root
  'truncated', // the bytes ended inside a block, or before the commit or a referenced block came
  'cid_mismatch', // a block does not hash to its CID
  'wrong_did', // the commit is another repo's
  'invalid_commit', // the root block is not a v3 commit
  'invalid_mst', // an MST node is malformed, or names a path that is not <NSID>/<record key>
  'unreachable', // a node that named records is not in the tree under the commit
  'invalid_record', // a record block is not a DAG-CBOR map
  'too_large', // past the byte or block limit
] as const
export type RepoFailure = (typeof REPO_FAILURES)[number]

export class RepoError extends Error {
  override readonly name = 'RepoError'
  readonly reason: RepoFailure
  constructor(reason: RepoFailure, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

export interface RepoRecord {
  readonly collection: string
  readonly rkey: string
  /** the record's CID (base32 string) */
  readonly cid: string
  /** the record's JSON in the atproto data model (as JSON.stringify writes @atcute/cbor's decoding) */
  readonly record: RawJson
  /** the record's createdAt, when it is a string */
  readonly createdAt: string | undefined
  /** the record block's length */
  readonly bytes: number
  /** the commit's rev */
  readonly rev: string
}

export interface RepoSummary {
  readonly did: string
  readonly rev: string
  readonly records: number
  readonly blocks: number
  readonly carBytes: number
  /** record-like blocks no node referenced (ignored) */
  readonly unreferenced: number
  /** bytes of blocks that had to go to the spill file */
  readonly spilledBytes: number
}

export interface RepoLimits {
  /** bytes of CAR a repo may have */
  readonly maxCarBytes: number
  /** blocks a repo may have (bounds the in-memory index) */
  readonly maxBlocks: number
  /** bytes of waiting blocks kept in memory before spilling to a file */
  readonly memoryBytes: number
  /** where spill files go (default: the OS temp dir) */
  readonly spillDir?: string
}

interface Node {
  readonly children: string[]
  /** whether this node named at least one path */
  readonly named: boolean
}

interface Commit {
  readonly did: string
  readonly rev: string
  /** key of the MST root's CID */
  readonly dataKey: string
}

const keyOf = (cid: Uint8Array): string =>
  Buffer.from(cid.buffer, cid.byteOffset, cid.byteLength).toString('latin1')

/**
 * Yields the records of the repo `did` from `stream` (a getRepo response body) as they become
 * known; returns a summary after verifying the tree. Throws RepoError (and cancels the stream)
 * when the CAR is not a complete, consistent repo of `did`.
 */
export async function* readRepo(
  stream: ReadableStream<Uint8Array>,
  did: string,
  limits: RepoLimits,
): AsyncGenerator<RepoRecord, RepoSummary, void> {
  const counted = limited(stream, limits.maxCarBytes)
  const car = fromStream(counted)
  const store = new BlockStore(limits.memoryBytes, limits.spillDir)
  /** record CID key → the paths naming it that were not yielded yet */
  const waiting = new Map<string, { cid: Uint8Array; paths: string[] }>()
  /** MST node key → its children, for the walk from the commit when the stream has ended */
  const nodes = new Map<string, Node>()
  /** record blocks ready for the worker, and the batches on it */
  let batch: { cid: Uint8Array; bytes: Uint8Array; paths: string[]; rev: string }[] = []
  let batchBytes = 0
  const pending: { blocks: typeof batch; answer: ReturnType<typeof prepareOnWorker> }[] = []
  let root: string
  let commit: Commit | undefined
  let blocks = 0
  let records = 0
  let carBytes = 0
  try {
    let roots: readonly { $link: string }[]
    try {
      roots = await car.roots()
    } catch (err) {
      throw carError(err, 'header')
    }
    if (roots.length !== 1 || !(roots[0] instanceof CidLinkWrapper)) {
      throw new RepoError('invalid_car', `repo ${did}: the CAR has ${roots.length} roots, not 1`)
    }
    root = keyOf(roots[0].bytes)
    const iterator = car[Symbol.asyncIterator]()
    while (true) {
      let step: IteratorResult<CarEntry>
      try {
        step = await iterator.next()
      } catch (err) {
        throw carError(err, `block ${blocks}`)
      }
      if (step.done) break
      const entry = step.value
      carBytes = entry.entryEnd
      if (++blocks > limits.maxBlocks) {
        throw new RepoError('too_large', `repo ${did}: more than ${limits.maxBlocks} blocks`)
      }
      const cid = entry.cid.bytes
      const bytes = entry.bytes
      if (entry.cid.codec !== CODEC_DCBOR) continue // raw blocks are no part of a repo tree
      const key = keyOf(cid)
      // the commit and MST nodes are checked here; record blocks on the worker, once a node
      // names them (a block nothing names is ignored unread)
      if ((key === root || isNodeShaped(bytes)) && !blockMatchesCid(bytes, cid)) {
        throw new RepoError(
          'cid_mismatch',
          `repo ${did}: block ${cidToString(entry.cid)} does not hash to its CID`,
        )
      }
      if (key === root) {
        commit = readCommit(bytes, did)
        // everything that waited for the rev
        for (const [k, w] of waiting) if (store.has(k)) emit(k, w, commit)
      } else if (isNodeShaped(bytes)) {
        const node = readNode(bytes, did)
        nodes.set(key, { children: node.children, named: node.entries.length > 0 })
        for (const { path, cid: value } of node.entries) {
          const k = keyOf(value)
          let w = waiting.get(k)
          if (w === undefined) {
            w = { cid: value, paths: [] }
            waiting.set(k, w)
          }
          w.paths.push(path)
          if (commit !== undefined && store.has(k)) emit(k, w, commit)
        }
      } else {
        store.put(key, bytes)
        const w = waiting.get(key)
        if (w !== undefined && commit !== undefined) emit(key, w, commit)
      }
      if (batch.length >= BATCH_RECORDS || batchBytes >= BATCH_BYTES) send()
      while (pending.length > PENDING_BATCHES) {
        for await (const r of drain()) {
          records++
          yield r
        }
      }
    }
    send()
    while (pending.length > 0) {
      for await (const r of drain()) {
        records++
        yield r
      }
    }
    if (commit === undefined) throw new RepoError('truncated', `repo ${did}: the CAR has no commit block`)
    for (const [k, w] of waiting) {
      if (w.paths.length > 0 && !store.has(k)) {
        throw new RepoError('truncated', `repo ${did}: no block for record ${w.paths[0]}`)
      }
    }
    checkTree(nodes, commit.dataKey, did)
    return {
      did,
      rev: commit.rev,
      records,
      blocks,
      carBytes,
      unreferenced: store.size - countReferenced(waiting, store),
      spilledBytes: store.spilledBytes,
    }
  } finally {
    store.clear()
    await car.dispose().catch(() => undefined) // the stream may already be closed or errored: nothing left to free
  }

  /** the record block `key` (named by w's paths) goes into the next batch for the worker */
  function emit(key: string, w: { cid: Uint8Array; paths: string[] }, c: Commit): void {
    if (w.paths.length === 0) return
    const bytes = store.get(key)!
    batch.push({ cid: w.cid, bytes, paths: w.paths.slice(), rev: c.rev })
    batchBytes += bytes.length
    w.paths.length = 0
  }

  /** sends the batch to the worker (none when empty) */
  function send(): void {
    if (batch.length === 0) return
    const blocks = batch
    batch = []
    batchBytes = 0
    const answer = prepareOnWorker(packRecords(blocks))
    // awaited in order by `drain`; a repo abandoned before then must not leave a rejection unhandled
    answer.catch(() => undefined)
    pending.push({ blocks, answer })
  }

  /** the records of the oldest batch on the worker, in order */
  async function* drain(): AsyncGenerator<RepoRecord, void, void> {
    const { blocks, answer } = pending.shift()!
    const prepared = await answer
    for (const [i, block] of blocks.entries()) {
      const { status, cid, createdAt, record } = preparedRecord(prepared, i)
      if (status === RECORD_STATUS.cidMismatch) {
        throw new RepoError('cid_mismatch', `repo ${did}: block ${cid} does not hash to its CID`)
      }
      if (status !== RECORD_STATUS.ok) {
        const what = status === RECORD_STATUS.notMap ? 'is not a map' : 'is not DAG-CBOR'
        throw new RepoError('invalid_record', `repo ${did}: record ${block.paths[0]} ${what}`)
      }
      for (const path of block.paths) {
        const slash = path.indexOf('/')
        // records at two paths with the same content share one (immutable) JSON value
        yield {
          collection: path.slice(0, slash),
          rkey: path.slice(slash + 1),
          cid,
          record,
          createdAt,
          bytes: block.bytes.length,
          rev: block.rev,
        }
      }
    }
  }
}

function countReferenced(waiting: Map<string, { paths: string[] }>, store: BlockStore): number {
  let n = 0
  for (const k of waiting.keys()) if (store.has(k)) n++
  return n
}

/**
 * errors of the CAR reader: an early end of the bytes is a truncation, the rest is invalid_car;
 * the byte stream's own failures are rethrown as they are
 */
function carError(err: unknown, where: string): RepoError {
  if (err instanceof RepoError) return err
  if (err instanceof StreamFailure) throw err.cause
  const message = err instanceof Error ? err.message : String(err)
  const reason: RepoFailure = /unexpected eof/i.test(message) ? 'truncated' : 'invalid_car'
  return new RepoError(reason, `CAR ${where}: ${message}`, { cause: err })
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

function readCommit(bytes: Uint8Array, did: string): Commit {
  let value: unknown
  try {
    value = decode(bytes)
  } catch (err) {
    throw new RepoError('invalid_commit', `repo ${did}: the root block is not DAG-CBOR`, { cause: err })
  }
  if (!isMap(value)) throw new RepoError('invalid_commit', `repo ${did}: the root block is not a map`)
  const { did: commitDid, version, data, rev } = value
  if (
    version !== 3 ||
    !(data instanceof CidLinkWrapper) ||
    typeof rev !== 'string' ||
    typeof commitDid !== 'string'
  ) {
    throw new RepoError('invalid_commit', `repo ${did}: the root block is not a v3 commit`)
  }
  if (commitDid !== did) {
    throw new RepoError(
      'wrong_did',
      `repo ${did}: the commit is signed for ${isDid(commitDid) ? commitDid : 'a non-DID'}`,
    )
  }
  return { did: commitDid, rev, dataKey: keyOf(data.bytes) }
}

/**
 * An MST node is a map of exactly `e` and `l`; DAG-CBOR orders keys by length then bytes, so it
 * starts a2 61 65 ("map of 2, text of 1, 'e'"). A record always has `$type` (5 bytes long,
 * sorted after any one-letter key): one whose first key is "e" and has two keys is checked whole.
 */
function isNodeShaped(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xa2 && bytes[1] === 0x61 && bytes[2] === 0x65
}

function readNode(
  bytes: Uint8Array,
  did: string,
): { entries: { path: string; cid: Uint8Array }[]; children: string[] } {
  let value: unknown
  try {
    value = decode(bytes)
  } catch (err) {
    throw new RepoError('invalid_mst', `repo ${did}: an MST node is not DAG-CBOR`, { cause: err })
  }
  if (!isMap(value) || !Array.isArray(value.e) || !(value.l === null || value.l instanceof CidLinkWrapper)) {
    throw new RepoError('invalid_mst', `repo ${did}: a block shaped like an MST node is not one`)
  }
  const children: string[] = []
  if (value.l !== null) children.push(keyOf(value.l.bytes))
  const entries: { path: string; cid: Uint8Array }[] = []
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let previous = ''
  for (const e of value.e) {
    if (
      !isMap(e) ||
      !Number.isSafeInteger(e.p) ||
      !(e.k instanceof BytesWrapper) ||
      !(e.v instanceof CidLinkWrapper) ||
      !(e.t === null || e.t instanceof CidLinkWrapper)
    ) {
      throw new RepoError('invalid_mst', `repo ${did}: an MST entry is malformed`)
    }
    const p = e.p as number
    if (p < 0 || p > previous.length)
      throw new RepoError('invalid_mst', `repo ${did}: an MST entry's prefix is too long`)
    let suffix: string
    try {
      suffix = decoder.decode(e.k.buf)
    } catch (err) {
      throw new RepoError('invalid_mst', `repo ${did}: an MST key is not UTF-8`, { cause: err })
    }
    const path = previous.slice(0, p) + suffix
    const slash = path.indexOf('/')
    if (slash <= 0 || !isNsid(path.slice(0, slash)) || !isRecordKey(path.slice(slash + 1))) {
      throw new RepoError(
        'invalid_mst',
        `repo ${did}: MST key ${JSON.stringify(path.slice(0, 300))} is not <NSID>/<record key>`,
      )
    }
    entries.push({ path, cid: e.v.bytes })
    if (e.t !== null) children.push(keyOf(e.t.bytes))
    previous = path
  }
  return { entries, children }
}

/** every node is reachable from the commit's data, and every node referenced is present */
function checkTree(nodes: Map<string, Node>, dataKey: string, did: string): void {
  const seen = new Set<string>()
  const stack = [dataKey]
  while (stack.length > 0) {
    const key = stack.pop()!
    if (seen.has(key)) continue
    const node = nodes.get(key)
    if (node === undefined)
      throw new RepoError('truncated', `repo ${did}: an MST node of the tree is missing`)
    seen.add(key)
    for (const child of node.children) stack.push(child)
  }
  for (const [key, node] of nodes) {
    if (node.named && !seen.has(key)) {
      throw new RepoError('unreachable', `repo ${did}: an MST node outside the commit's tree names records`)
    }
  }
}

/** an error of the byte stream itself (network, timeout), passed on as it is: not the CAR's fault */
class StreamFailure extends Error {}

/**
 * `source` with its errors marked as the stream's (so they are not taken for a bad CAR), erroring
 * once more than `max` bytes came through
 */
function limited(source: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  const reader = source.getReader()
  let total = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let step: Awaited<ReturnType<typeof reader.read>>
      try {
        step = await reader.read()
      } catch (err) {
        controller.error(new StreamFailure('the response body failed', { cause: err }))
        return
      }
      if (step.done) return controller.close()
      total += step.value.byteLength
      if (total > max) {
        controller.error(new RepoError('too_large', `the CAR is larger than ${max} bytes`))
        await reader.cancel().catch(() => undefined) // the body is abandoned either way
        return
      }
      controller.enqueue(step.value)
    },
    async cancel(reason) {
      await reader.cancel(reason)
    },
  })
}
