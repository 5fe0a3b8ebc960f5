// A bound on what was read from the upstream but not yet acknowledged by Kafka, in events and
// in bytes. The source loop awaits room() before reading more, so a slow broker slows the
// socket read. A delivery is always let in while the window has room, so the bytes held stay
// below the byte limit plus one delivery.

export interface InFlightLimits {
  readonly events: number
  readonly bytes: number
}

export interface InFlightWindow {
  /** events held */
  readonly size: number
  /** bytes held */
  readonly bytes: number
  /** at or past either limit: the reader should await room() */
  readonly full: boolean
  add(events: number, bytes: number): void
  release(events: number, bytes: number): void
  /** resolves when below both limits */
  room(): Promise<void>
  /** resolves when nothing is held */
  drained(): Promise<void>
}

export function createInFlightWindow(
  limits: InFlightLimits,
  onChange: (events: number, bytes: number) => void = () => {},
): InFlightWindow {
  let size = 0
  let bytes = 0
  let waiters: (() => void)[] = []
  const full = () => size >= limits.events || bytes >= limits.bytes
  const wake = () => {
    const ws = waiters
    waiters = []
    for (const w of ws) w()
  }
  return {
    get size() {
      return size
    },
    get bytes() {
      return bytes
    },
    get full() {
      return full()
    },
    add(n, b) {
      size += n
      bytes += b
      onChange(size, bytes)
    },
    release(n, b) {
      size -= n
      bytes -= b
      onChange(size, bytes)
      if (!full() || size === 0) wake()
    },
    async room() {
      while (full()) await new Promise<void>((r) => waiters.push(r))
    },
    async drained() {
      while (size > 0) await new Promise<void>((r) => waiters.push(r))
    },
  }
}
