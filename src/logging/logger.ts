// The root pino logger. Components get logger.child({ component }); pure functions do not log.
// With a RecentLog, warn/error/fatal lines are also kept there (the status page shows them).
import { type DestinationStream, type Logger, pino } from 'pino'
import type { RecentLog } from './recent-log.ts'

/** pino's levels: warn = 40 */
const WARN = 40

/**
 * The destination, also feeding `recent` with lines at warn and above. pino sets `lastLevel`
 * on a stream marked with Symbol.for('pino.metadata') before each write, so lines below warn
 * are never parsed.
 */
function teeWarnings(
  destination: NodeJS.WritableStream | DestinationStream,
  recent: RecentLog,
): DestinationStream {
  const dest = destination as DestinationStream & {
    flush?: (cb: (err?: Error) => void) => void
    flushSync?: () => void
  }
  const tee = {
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 0,
    write(line: string) {
      dest.write(line)
      if (tee.lastLevel >= WARN) recent.add(line)
    },
    flush(cb: (err?: Error) => void) {
      if (typeof dest.flush === 'function') dest.flush(cb)
      else cb()
    },
    flushSync() {
      dest.flushSync?.()
    },
  }
  return tee
}

export function createLogger(level: string, destination?: NodeJS.WritableStream, recent?: RecentLog): Logger {
  const dest = destination ?? pino.destination({ dest: 1, sync: false })
  return pino(
    {
      level,
      base: { service: 'atkafka' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['*.saslPassword', '*.password', 'config.saslPassword'], censor: '<redacted>' },
    },
    recent ? teeWarnings(dest, recent) : dest,
  )
}
