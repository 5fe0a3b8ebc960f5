// A value already serialized to JSON, written into an event's bytes as it is (enrichment: the
// parts of `eventMetadata` that do not change between a DID's events are encoded once, as
// UTF-8, and only the per-event part is a string; Jetstream v2 archive records: their JSON as
// the inflate worker wrote it).

export type JsonPart = string | Uint8Array

export class RawJson {
  /** fragments whose concatenation is one JSON value; bytes are UTF-8 */
  readonly parts: readonly JsonPart[]
  /** UTF-8 size of the whole value */
  readonly byteLength: number
  /** `byteLength`, when the caller knows it, saves measuring the strings again */
  constructor(parts: readonly JsonPart[] | string, byteLength?: number) {
    this.parts = typeof parts === 'string' ? [parts] : parts
    if (byteLength === undefined) {
      byteLength = 0
      for (const p of this.parts) byteLength += typeof p === 'string' ? Buffer.byteLength(p) : p.length
    }
    this.byteLength = byteLength
  }

  /** the whole value as a string (for tests and debugging; the encoder uses writeTo) */
  get json(): string {
    return this.parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString())).join('')
  }

  /**
   * JSON.stringify of a value holding this one writes the same JSON, parsed and written again
   * (the encoder splices the bytes instead where it can: encode-event.ts)
   */
  toJSON(): unknown {
    return JSON.parse(this.json)
  }

  /** writes the value at `offset`; returns the offset after it */
  writeTo(out: Buffer, offset: number): number {
    let at = offset
    for (const p of this.parts) {
      if (typeof p === 'string') at += out.write(p, at)
      else {
        out.set(p, at)
        at += p.length
      }
    }
    return at
  }
}
