// Where a resumable source's position (the cursor) lives between runs. Only a position at or
// below which Kafka holds every event (the source's checkpoint) is ever saved. A codec says
// how a source's position is stored; the stored record adds what a human needs to judge it.
import type { OutboundRecord } from '../pipeline/types.ts'

export interface CursorStore<P> {
  /** the saved position for this source, or undefined when none was saved */
  load(): Promise<P | undefined>
  /** resolves once the position is durably stored */
  save(position: P): Promise<void>
  /** where it is kept, for logs and the status page */
  readonly location: string
}

/** How one source's position is written into and read from a stored cursor record. */
export interface CursorCodec<P> {
  /** the position as fields of the stored record (relay: `{seq}`) */
  toFields(position: P): Record<string, unknown>
  /** throws (a plain Error saying what is wrong) when the fields hold no valid position */
  fromFields(fields: Record<string, unknown>, where: string): P
  /** a number that grows with the position, for gauges and the status page (relay: the seq) */
  toNumber(position: P): number
}

/** exactly-once: how the transactional sink commits the source's position with each transaction */
export interface CursorPort<P> {
  /** what Kafka holds everything at or below (the source's checkpoint) */
  position(): P | undefined
  /** the cursor record that stores a position */
  record(position: P): OutboundRecord
  /** after a commit that carried this position */
  committed(position: P): void
  /**
   * the position committed last, or the one the run started after: the sink commits a position
   * that moved away from it with no record staged (without it, positions go with records only)
   */
  last?(): P | undefined
}

/** who a stored cursor belongs to */
export interface CursorOwner {
  readonly sourceId: string
  readonly upstream: string
}

/** The stored record: the position's fields, the source id and upstream, and when it was saved. */
export function cursorRecordJson<P>(codec: CursorCodec<P>, owner: CursorOwner, position: P): string {
  return JSON.stringify({
    ...codec.toFields(position),
    sourceId: owner.sourceId,
    upstream: owner.upstream,
    savedAt: new Date().toISOString(),
  })
}

export function parseCursorRecord<P>(
  codec: CursorCodec<P>,
  text: string,
  where: string,
): { position: P; sourceId: unknown } {
  const fields: unknown = JSON.parse(text)
  if (typeof fields !== 'object' || fields === null)
    throw new Error(`stored cursor is not an object; where=${where}`)
  const record = fields as Record<string, unknown>
  return { position: codec.fromFields(record, where), sourceId: record.sourceId }
}
