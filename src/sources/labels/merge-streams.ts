// Several async streams as one, each item as soon as its stream has it: a stream that waits
// (a labeler down, reconnecting, resolving its key) holds up none of the others. One pending
// next() per stream, so at most one item per stream is ever waiting here. A stream that ends
// leaves the rest going; one that throws ends the merge with its error (the others are
// returned once their pending item settles).

export async function* mergeStreams<T>(streams: readonly AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]())
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>()
  const pull = (i: number) =>
    pending.set(
      i,
      iterators[i]!.next().then((r) => ({ i, r })),
    )
  for (let i = 0; i < iterators.length; i++) pull(i)
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values())
      if (r.done) {
        pending.delete(i)
        continue
      }
      pull(i)
      yield r.value
    }
  } finally {
    // ended early (aborted, a consumer stopped, a stream threw): close what is still open. Not
    // awaited: a stream's return() waits for its pending next(), which ends with the run's signal
    for (const i of pending.keys()) void iterators[i]!.return?.()?.catch(() => {})
  }
}
