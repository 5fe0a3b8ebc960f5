// A relay #commit body → one OperationEvent per op. Records come from the commit's CAR slice,
// looked up by the op's CID and hash-checked; only the bad op is dropped, the rest still go out.
// A commit past the lexicon's limits (200 ops, 2,000,000 bytes of blocks) or whose repo is not
// a DID is dropped whole; an op whose path is not <NSID>/<record key> is dropped alone.
import { hash } from 'node:crypto'
import { type CarEntry, fromUint8Array } from '@atcute/car'
import { BytesWrapper, CidLinkWrapper, decode } from '@atcute/cbor'
import { DecodeError, type DropReason } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { isDid, isNsid, isRecordKey } from '../../events/atproto-syntax.ts'
import { HEAP_BYTES_PER_NODE, MAX_RECORD_DEPTH } from '../../events/record-limits.ts'
import { isMap, shown } from '../event-stream/body-fields.ts'

const CODEC_DAG_CBOR = 0x71
const HASH_SHA256 = 0x12
/** com.atproto.sync.subscribeRepos#commit: `ops` maxLength */
export const MAX_COMMIT_OPS = 200
/** com.atproto.sync.subscribeRepos#commit: `blocks` maxLength */
export const MAX_COMMIT_BLOCKS_BYTES = 2_000_000
/**
 * Appends the commit's op events to `events` and its drops to `drops`. `seq` is already checked.
 * Each event carries its op's index in `ops` (`opIndex`), counting the ops that were dropped too.
 * Records keep the values @atcute/cbor decodes (CID links, bytes): they serialize to atproto JSON.
 * Returns an estimate of the heap the decoded records take (HEAP_BYTES_PER_NODE per value plus
 * the block's bytes), so that events held while they wait are counted at what they cost.
 */
export function decodeCommit(
  body: Record<string, unknown>,
  seq: number,
  events: AtprotoEvent[],
  drops: DecodeError[],
): number {
  const { repo: did, rev, time, ops, blocks } = body
  if (
    typeof did !== 'string' ||
    typeof rev !== 'string' ||
    typeof time !== 'string' ||
    !Array.isArray(ops) ||
    !(blocks instanceof BytesWrapper)
  ) {
    const bad = ['repo', 'rev', 'time', 'ops', 'blocks'].filter((k) => !(k in body))
    drops.push(
      new DecodeError(
        'invalid_event',
        `#commit seq=${seq}: ${bad.length ? `no ${bad.join(', ')}` : 'a field has the wrong type'}`,
      ),
    )
    return 0
  }
  if (!isDid(did)) {
    drops.push(new DecodeError('invalid_event', `#commit seq=${seq}: repo ${shown(did)} is not a DID`))
    return 0
  }
  if (ops.length > MAX_COMMIT_OPS || blocks.buf.length > MAX_COMMIT_BLOCKS_BYTES) {
    drops.push(
      dropped(
        'lexicon_limit',
        seq,
        did,
        `${ops.length} ops and ${blocks.buf.length} bytes of blocks; the lexicon allows ${MAX_COMMIT_OPS} and ${MAX_COMMIT_BLOCKS_BYTES}`,
      ),
    )
    return 0
  }
  let recordBytes = 0
  // read on the first create/update op only: a deletes-only commit never parses its CAR
  let car: CarIndex | undefined
  let carError: unknown
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]
    if (!isMap(op)) {
      drops.push(dropped('invalid_event', seq, did, `op ${i} is not a map`))
      continue
    }
    const { action, path } = op
    const slash = typeof path === 'string' ? splitAt(path) : -1
    if (typeof path !== 'string' || slash === -1) {
      const shown = typeof path === 'string' ? JSON.stringify(path) : typeof path
      drops.push(dropped('invalid_event', seq, did, `op ${i}: path ${shown} is not <collection>/<rkey>`))
      continue
    }
    const collection = path.slice(0, slash)
    const rkey = path.slice(slash + 1)
    if (!isNsid(collection) || !isRecordKey(rkey)) {
      drops.push(
        dropped('invalid_event', seq, did, `op ${i}: path ${shown(path)} is not <NSID>/<record key>`),
      )
      continue
    }
    if (action === 'delete') {
      events.push({ kind: 'operation', did, seq, opIndex: i, rev, time, action, collection, rkey })
      continue
    }
    const cid = op.cid
    if ((action !== 'create' && action !== 'update') || !(cid instanceof CidLinkWrapper)) {
      drops.push(dropped('invalid_event', seq, did, `op ${path}: bad action or cid`))
      continue
    }
    if (car === undefined && carError === undefined) {
      try {
        car = indexCar(blocks.buf)
      } catch (err) {
        carError = err ?? new Error('unreadable CAR')
      }
    }
    if (car === undefined) {
      drops.push(dropped('invalid_car', seq, did, `op ${path}: blocks are not a readable CAR`, carError))
      continue
    }
    const block = findBlock(car, cid.bytes)
    if (block === undefined) {
      drops.push(dropped('missing_block', seq, did, `op ${path}: no block for ${cid.$link}`))
      continue
    }
    if (!blockMatchesCid(block, cid.bytes)) {
      drops.push(dropped('cid_mismatch', seq, did, `op ${path}: block does not hash to ${cid.$link}`))
      continue
    }
    let record: unknown
    try {
      record = decode(block)
    } catch (err) {
      drops.push(dropped('invalid_record', seq, did, `op ${path}: record is not DAG-CBOR`, err))
      continue
    }
    if (!isMap(record)) {
      // the data model requires a record to be a map (it carries $type)
      drops.push(dropped('invalid_record', seq, did, `op ${path}: record is not a map`))
      continue
    }
    // each level takes at least one byte, so only a block longer than the limit can be too deep;
    // a shorter one has at most one value per byte
    const nodes = block.length > MAX_RECORD_DEPTH ? countNodes(record, MAX_RECORD_DEPTH) : block.length
    if (nodes < 0) {
      drops.push(
        dropped('invalid_record', seq, did, `op ${path}: record nests deeper than ${MAX_RECORD_DEPTH}`),
      )
      continue
    }
    recordBytes += block.length + nodes * HEAP_BYTES_PER_NODE
    events.push({
      kind: 'operation',
      did,
      seq,
      opIndex: i,
      rev,
      time,
      action,
      collection,
      rkey,
      cid: cid.$link,
      record,
    })
  }
  return recordBytes
}

/**
 * the values in `value` (itself, every map, array and leaf in it), or -1 when it has more than
 * `limit` levels of nested maps/arrays (recursion bounded by `limit`)
 */
function countNodes(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 1
  let n = 1
  if (Array.isArray(value)) {
    if (limit === 0) return -1
    for (const item of value) {
      const inner = countNodes(item, limit - 1)
      if (inner < 0) return -1
      n += inner
    }
    return n
  }
  if (!isMap(value)) return 1 // a CID link or bytes
  if (limit === 0) return -1
  for (const key in value) {
    const inner = countNodes(value[key], limit - 1)
    if (inner < 0) return -1
    n += inner
  }
  return n
}

function dropped(reason: DropReason, seq: number, did: string, what: string, cause?: unknown): DecodeError {
  return new DecodeError(
    reason,
    `#commit seq=${seq} repo=${did}: ${what}`,
    cause === undefined ? undefined : { cause },
  )
}

/** index of the one '/' of `<collection>/<rkey>` (both non-empty), else -1 */
function splitAt(path: string): number {
  const slash = path.indexOf('/')
  if (slash <= 0 || slash === path.length - 1 || path.indexOf('/', slash + 1) !== -1) return -1
  return slash
}

/** the CAR's blocks in order; a by-digest map is built only for big CARs, small ones are scanned */
interface CarIndex {
  readonly entries: CarEntry[]
  byKey?: Map<number, CarEntry>
}

const SCAN_LIMIT = 32

/** walks the CAR's block framing only: no block is decoded here */
function indexCar(bytes: Uint8Array): CarIndex {
  return { entries: Array.from(fromUint8Array(bytes)) }
}

function findBlock(car: CarIndex, cid: Uint8Array): Uint8Array | undefined {
  const { entries } = car
  if (entries.length > SCAN_LIMIT) {
    if (car.byKey === undefined) {
      car.byKey = new Map()
      for (const entry of entries) {
        const key = digestKey(entry.cid.bytes)
        if (!car.byKey.has(key)) car.byKey.set(key, entry)
      }
    }
    const hit = car.byKey.get(digestKey(cid))
    if (hit === undefined) return undefined
    if (sameBytes(hit.cid.bytes, cid)) return hit.bytes
    // a 32-bit key collision: fall through to the scan
  }
  for (const entry of entries) if (sameBytes(entry.cid.bytes, cid)) return entry.bytes
  return undefined
}

/** CIDv1 bytes: [version, codec, hash code, digest length, …digest] (@atcute only yields 36-byte sha256 CIDs) */
function digestKey(cid: Uint8Array): number {
  return ((cid[4]! << 24) | (cid[5]! << 16) | (cid[6]! << 8) | cid[7]!) >>> 0
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  // the first 4 bytes (version, codec, hash) are nearly always equal: compare the digest first
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false
  return true
}

/** a record CID must be dag-cbor + sha256 and its digest must be the block's sha256 */
export function blockMatchesCid(block: Uint8Array, cid: Uint8Array): boolean {
  if (cid.length !== 36 || cid[1] !== CODEC_DAG_CBOR || cid[2] !== HASH_SHA256 || cid[3] !== 32) return false
  // one-shot hash: about twice as fast as createHash().update().digest() on record-sized blocks
  const digest = hash('sha256', block, 'buffer')
  for (let i = 0; i < 32; i++) if (digest[i] !== cid[4 + i]) return false
  return true
}
