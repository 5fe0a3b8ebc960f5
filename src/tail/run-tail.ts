// `atkafka tail`: the output topic, filtered, printed one line per event on `out` (stdout);
// logs go to the logger (stderr). Ends after --limit printed events, on abort, or when `out`
// closes (e.g. piped into `head`).
import { once } from 'node:events'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import type { KafkaConfig } from '../sink/kafka/kafka-client-options.ts'
import { consumeTopic } from './consume.ts'
import { createTailFilter } from './filter.ts'
import { formatEvent, formatUnknown } from './format.ts'
import { parseEventValue } from './read-event.ts'

export type TailConfig = KafkaConfig &
  Pick<
    Config,
    | 'outputTopic'
    | 'tailFromBeginning'
    | 'tailJson'
    | 'tailDid'
    | 'tailCollection'
    | 'tailAction'
    | 'tailLimit'
  >

export interface TailDeps {
  readonly logger: Logger
  readonly out: NodeJS.WritableStream
  readonly signal: AbortSignal
}

/** Runs until the limit, the signal or a closed `out`; resolves with the number of events printed. */
export async function runTail(config: TailConfig, deps: TailDeps): Promise<number> {
  const { logger, out } = deps
  const stop = new AbortController()
  const abort = () => stop.abort()
  deps.signal.addEventListener('abort', abort, { once: true })
  if (deps.signal.aborted) stop.abort()
  // EPIPE and the like: the reader went away, nothing more can be printed
  const onOutError = (err: Error) => {
    logger.debug({ err }, 'output closed')
    stop.abort()
  }
  out.on('error', onOutError)
  const keep = createTailFilter({
    dids: config.tailDid,
    collections: config.tailCollection,
    actions: config.tailAction,
  })
  let printed = 0
  try {
    for await (const message of consumeTopic(config, {
      topic: config.outputTopic,
      fromBeginning: config.tailFromBeginning,
      signal: stop.signal,
      logger,
    })) {
      const event = parseEventValue(message.value)
      if (!keep(event)) continue
      const line = config.tailJson
        ? message.value
        : event
          ? formatEvent(event)
          : formatUnknown(message.value, message)
      if (stop.signal.aborted) break
      if (!out.write(`${line}\n`)) {
        await Promise.race([once(out, 'drain'), once(stop.signal, 'abort')])
      }
      printed++
      if (config.tailLimit > 0 && printed >= config.tailLimit) break
    }
  } finally {
    deps.signal.removeEventListener('abort', abort)
    out.off('error', onOutError)
  }
  return printed
}
