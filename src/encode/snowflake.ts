// 64-bit Snowflake ids in Osprey's layout: milliseconds since Osprey's epoch (2015-01-01) in the
// high 42 bits, a 10-bit worker id, a 12-bit sequence. Returned as decimal strings: the values
// exceed 2^53 and must never pass through a JS number.

export const OSPREY_EPOCH_MS = 1420070400000
const MAX_SEQUENCE = 0xfff

export interface Snowflake {
  next(): string
}

export function createSnowflake(options: {
  workerId: number
  epochMs?: number
  now?: () => number
}): Snowflake {
  const { workerId, epochMs = OSPREY_EPOCH_MS, now = Date.now } = options
  if (!Number.isInteger(workerId) || workerId < 0 || workerId > 1023) {
    throw new RangeError(`snowflake worker id must be an integer in 0..1023; got ${workerId}`)
  }
  let lastMs = -1
  let sequence = 0
  let base = 0n
  return {
    next() {
      const ms = Math.max(now() - epochMs, lastMs)
      if (ms === lastMs) {
        if (sequence === MAX_SEQUENCE) {
          // 4096 ids in one millisecond (or a clock that went back): borrow the next millisecond
          lastMs++
          sequence = 0
          base = BigInt(lastMs) << 22n
        } else sequence++
      } else {
        lastMs = ms
        sequence = 0
        base = BigInt(ms) << 22n
      }
      return (base | BigInt((workerId << 12) | sequence)).toString()
    },
  }
}
