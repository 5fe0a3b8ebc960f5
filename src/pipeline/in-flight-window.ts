// A bounded count of events between the source and Kafka's acknowledgement. The source loop
// awaits room() before reading more, so a slow broker slows the socket read.

export interface InFlightWindow {
  readonly size: number
  /** size >= limit: the reader should await room() */
  readonly full: boolean
  add(n: number): void
  release(n: number): void
  /** resolves when size < limit */
  room(): Promise<void>
  /** resolves when size === 0 */
  drained(): Promise<void>
}

export function createInFlightWindow(
  limit: number,
  onChange: (size: number) => void = () => {},
): InFlightWindow {
  let size = 0
  let waiters: (() => void)[] = []
  const wake = () => {
    const ws = waiters
    waiters = []
    for (const w of ws) w()
  }
  return {
    get size() {
      return size
    },
    get full() {
      return size >= limit
    },
    add(n) {
      size += n
      onChange(size)
    },
    release(n) {
      size -= n
      onChange(size)
      if (size < limit) wake()
    },
    async room() {
      while (size >= limit) await new Promise<void>((r) => waiters.push(r))
    },
    async drained() {
      while (size > 0) await new Promise<void>((r) => waiters.push(r))
    },
  }
}
