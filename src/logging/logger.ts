// The root pino logger. Components get logger.child({ component }); pure functions do not log.
import { type Logger, pino } from 'pino'

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'atkafka' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['*.saslPassword', '*.password', 'config.saslPassword'], censor: '<redacted>' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  )
}
