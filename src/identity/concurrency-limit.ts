// At most `max` calls running at once; the others wait their turn in arrival order, or give up
// when their signal aborts (a lookup's deadline), so a queue of slow handle resolutions never
// holds an event past its deadline. A finished call hands its slot to the next waiter directly.

export interface ConcurrencyLimit {
  run<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T>
  /** calls running now */
  readonly active: number
  /** calls waiting for a slot */
  readonly waiting: number
}

export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  let active = 0
  const queue = new Set<() => void>()

  const release = () => {
    const next = queue.values().next()
    if (next.done) active--
    else {
      // the slot passes on: `active` stays as it is
      queue.delete(next.value)
      next.value()
    }
  }

  const turn = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal.throwIfAborted()
      const go = () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = () => {
        queue.delete(go)
        reject(signal.reason)
      }
      queue.add(go)
      signal.addEventListener('abort', onAbort, { once: true })
    })

  return {
    async run(signal, call) {
      if (active < max) active++
      else await turn(signal)
      try {
        return await call()
      } finally {
        release()
      }
    },
    get active() {
      return active
    },
    get waiting() {
      return queue.size
    },
  }
}
