// The bookkeeping both Kafka sinks share: records waiting to be written, each tied to the
// send() call it came in, whose promise settles once all of that call's records are written
// (or rejects at the first failure).
import type { OutboundRecord } from '../../pipeline/types.ts'

interface Call {
  remaining: number
  failed: boolean
  resolve(): void
  reject(err: Error): void
}

export interface QueuedRecord {
  readonly record: OutboundRecord
  readonly call: Call
}

export class SendQueue {
  #items: QueuedRecord[] = []

  get length(): number {
    return this.#items.length
  }

  /** the queued records, oldest first (a view: read it before the next push or take) */
  peek(): readonly QueuedRecord[] {
    return this.#items
  }

  /** how many records at the head belong to the oldest record's send() call */
  headCallLength(): number {
    const items = this.#items
    let n = 0
    while (n < items.length && items[n]?.call === items[0]?.call) n++
    return n
  }

  /** whether the oldest queued record belongs to the same send() call as `item` */
  continues(item: QueuedRecord | undefined): boolean {
    return item !== undefined && this.#items[0]?.call === item.call
  }

  /** queues the records; the promise settles when they are all written, or one failed */
  push(records: readonly OutboundRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const call: Call = { remaining: records.length, failed: false, resolve, reject }
      for (const record of records) this.#items.push({ record, call })
    })
  }

  /** Takes up to `max` records from the head (the request planner decides how many). */
  take(max: number): QueuedRecord[] {
    const items = this.#items
    const n = Math.min(max, items.length)
    if (n === items.length) {
      this.#items = []
      return items
    }
    return items.splice(0, n)
  }

  /** these records are written */
  static written(items: readonly QueuedRecord[]): void {
    for (const { call } of items) if (!call.failed && --call.remaining === 0) call.resolve()
  }

  /** these records failed: their calls reject (once each) */
  static failed(items: readonly QueuedRecord[], err: Error): void {
    for (const { call } of items) {
      if (call.failed) continue
      call.failed = true
      call.reject(err)
    }
  }

  /** everything still queued fails */
  failAll(err: Error): void {
    SendQueue.failed(this.take(this.#items.length), err)
  }
}
