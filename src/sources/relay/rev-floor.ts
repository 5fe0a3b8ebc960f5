// The seam's memory: for each repo a backfill copied, the rev it copied (its "floor"). A live
// event of that repo at or below the floor is already in Kafka through the copy.
//
// At network scale this holds tens of millions of repos, so it is not a Map of strings (about
// 150 bytes an entry) but one open-addressing table of 16 bytes a slot: the DID as the first
// 64 bits of its SHA-256, the rev as the 64-bit number its TID spells (a TID is 13
// base32-sortable characters, 65 bits whose top bit is 0, and sorts as that number). It doubles
// when 80 % full: 16 bytes a slot, 20-40 bytes a repo (512 MiB for 30 million at worst, 768 MiB
// while it doubles), within a limit in bytes. Two DIDs whose hashes collide (odds ~n²/2⁶⁵: 2.4e-5 for 30 million) would share
// a floor: the higher rev wins, so a live event of the other could be skipped wrongly.
import { hash } from 'node:crypto'

const ALPHABET = '234567abcdefghijklmnopqrstuvwxyz'
const DIGIT = new Map([...ALPHABET].map((c, i) => [c, BigInt(i)]))

/** a TID as its 64-bit number, or undefined when it is not one */
export function tidNumber(tid: string): bigint | undefined {
  if (tid.length !== 13) return undefined
  let n = 0n
  for (const c of tid) {
    const d = DIGIT.get(c)
    if (d === undefined) return undefined
    n = (n << 5n) | d
  }
  // the first character is 2-j: the top bit is 0 (n < 2^64)
  return n < 1n << 64n ? n : undefined
}

function didKey(did: string): bigint {
  const h = hash('sha256', did, 'buffer')
  const k = h.readBigUInt64BE(0)
  return k === 0n ? 1n : k // 0 marks an empty slot
}

export class RevFloor {
  #keys: BigUint64Array
  #revs: BigUint64Array
  #size = 0
  readonly #maxBytes: number

  /** grows by doubling while it is more than 80 % full, up to `maxBytes` (then set() throws) */
  constructor(maxBytes: number, slots = 1024) {
    this.#maxBytes = maxBytes
    this.#keys = new BigUint64Array(slots)
    this.#revs = new BigUint64Array(slots)
  }

  get size(): number {
    return this.#size
  }

  get bytes(): number {
    return this.#keys.byteLength + this.#revs.byteLength
  }

  /**
   * notes that `did` was copied at `rev` (the higher of two notes wins); false when `rev` is
   * not a TID (nothing noted: the repo's live events are all produced). Throws when the table
   * would grow past its bytes.
   */
  set(did: string, rev: string): boolean {
    const r = tidNumber(rev)
    if (r === undefined) return false
    if (this.#size + 1 > this.#keys.length * 0.8) this.#grow()
    this.#put(didKey(did), r)
    return true
  }

  /** whether a live event of `did` at `rev` is at or below the rev its repo was copied at */
  covers(did: string, rev: string): boolean {
    if (this.#size === 0) return false
    const i = this.#slot(didKey(did))
    if (this.#keys[i] === 0n) return false
    const r = tidNumber(rev)
    return r !== undefined && r <= this.#revs[i]!
  }

  #put(key: bigint, rev: bigint): void {
    const i = this.#slot(key)
    if (this.#keys[i] === 0n) {
      this.#keys[i] = key
      this.#revs[i] = rev
      this.#size++
    } else if (rev > this.#revs[i]!) {
      this.#revs[i] = rev
    }
  }

  #grow(): void {
    const slots = this.#keys.length * 2
    if (slots * 16 > this.#maxBytes) {
      throw new Error(
        `the rev table of ${this.#size} repos would take ${slots * 16} bytes, past its limit of ${this.#maxBytes}`,
      )
    }
    const keys = this.#keys
    const revs = this.#revs
    this.#keys = new BigUint64Array(slots)
    this.#revs = new BigUint64Array(slots)
    this.#size = 0
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0n) this.#put(keys[i]!, revs[i]!)
  }

  /** the key's slot, or the empty one where it goes (linear probing) */
  #slot(key: bigint): number {
    const n = this.#keys.length
    let i = Number(key % BigInt(n))
    for (;;) {
      const k = this.#keys[i]
      if (k === 0n || k === key) return i
      i = i + 1 === n ? 0 : i + 1
    }
  }
}
