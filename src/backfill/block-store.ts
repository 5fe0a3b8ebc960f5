// The record blocks of one repo while its CAR streams in. A getRepo CAR comes in no useful order
// (the reference PDS sends its blocks sorted by CID), so a record block often arrives before the
// MST node that names its path, or before the commit that gives its rev: it waits here. Held in
// memory up to a byte budget; past it, blocks are appended to a temporary file and read back by
// offset, so a repo larger than memory streams through. Only the index (key → place) stays in
// memory, about 100 bytes per block, itself capped by the caller's block limit.

import { randomUUID } from 'node:crypto'
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Spilled {
  readonly offset: number
  readonly length: number
}

export class BlockStore {
  readonly #memoryBudget: number
  readonly #dir: string
  readonly #blocks = new Map<string, Uint8Array | Spilled>()
  #memoryBytes = 0
  #fd: number | undefined
  #path: string | undefined
  #fileBytes = 0

  /** `memoryBudget`: bytes of blocks kept in memory before spilling to a file in `dir` */
  constructor(memoryBudget: number, dir: string = tmpdir()) {
    this.#memoryBudget = memoryBudget
    this.#dir = dir
  }

  has(key: string): boolean {
    return this.#blocks.has(key)
  }

  get size(): number {
    return this.#blocks.size
  }

  /** bytes held in memory / in the spill file */
  get memoryBytes(): number {
    return this.#memoryBytes
  }
  get spilledBytes(): number {
    return this.#fileBytes
  }

  /** keeps a copy of `bytes` (the reader hands out views into its chunks) */
  put(key: string, bytes: Uint8Array): void {
    if (this.#blocks.has(key)) return
    if (this.#memoryBytes + bytes.length <= this.#memoryBudget) {
      this.#blocks.set(key, bytes.slice())
      this.#memoryBytes += bytes.length
      return
    }
    if (this.#fd === undefined) {
      this.#path = join(this.#dir, `atkafka-repo-${randomUUID()}.blocks`)
      try {
        this.#fd = openSync(this.#path, 'w+', 0o600)
      } catch (err) {
        throw new Error(`backfill: cannot open a spill file in ${this.#dir}`, { cause: err })
      }
    }
    let written = 0
    while (written < bytes.length) {
      written += writeSync(this.#fd, bytes, written, bytes.length - written, this.#fileBytes + written)
    }
    this.#blocks.set(key, { offset: this.#fileBytes, length: bytes.length })
    this.#fileBytes += bytes.length
  }

  get(key: string): Uint8Array | undefined {
    const place = this.#blocks.get(key)
    if (place === undefined || place instanceof Uint8Array) return place
    const out = new Uint8Array(place.length)
    let read = 0
    while (read < place.length) {
      const n = readSync(this.#fd!, out, read, place.length - read, place.offset + read)
      if (n === 0) throw new Error(`backfill: spill file ${this.#path} ended early`)
      read += n
    }
    return out
  }

  /** forgets every block and removes the spill file; the store can be used again */
  clear(): void {
    this.#blocks.clear()
    this.#memoryBytes = 0
    this.#fileBytes = 0
    if (this.#fd !== undefined) {
      closeSync(this.#fd)
      this.#fd = undefined
      try {
        unlinkSync(this.#path!)
      } catch (err) {
        throw new Error(`backfill: cannot remove spill file ${this.#path}`, { cause: err })
      }
    }
  }
}
