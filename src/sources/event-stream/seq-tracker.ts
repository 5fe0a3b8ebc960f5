// Tracks relay seqs from receipt to Kafka acknowledgement. safe() is the highest seq at or
// below which every received seq is complete: the only value a cursor may ever be saved at.

export interface SeqTracker {
  /** registers a received seq; returns the function that marks it complete */
  add(seq: number): () => void
  /** highest seq with nothing unfinished at or below it (undefined before the first) */
  safe(): number | undefined
  /** highest seq received */
  last(): number | undefined
}

export function createSeqTracker(initial?: number): SeqTracker {
  // entries in receipt order; completions arrive mostly in order, so the head moves in O(1)
  const entries: { seq: number; done: boolean }[] = []
  let head = 0
  let safe = initial
  let last = initial
  const advance = () => {
    while (head < entries.length && entries[head]?.done) {
      safe = entries[head]?.seq
      head++
    }
    if (head > 1024 && head * 2 > entries.length) {
      entries.splice(0, head)
      head = 0
    }
  }
  return {
    add(seq) {
      const entry = { seq, done: false }
      entries.push(entry)
      last = seq
      return () => {
        entry.done = true
        advance()
      }
    },
    safe: () => safe,
    last: () => last,
  }
}
