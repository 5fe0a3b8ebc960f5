// `atkafka tail`: the output topic (or --topics, or every topic --topic-routes writes to),
// filtered, printed one line per event on `out` (stdout; prefixed with the topic when several
// are followed); logs go to the logger (stderr). Ends after --limit printed events, on abort, or
// when `out` closes (e.g. piped into `head`).
import { once } from 'node:events'
import type { Logger } from 'pino'
import { ConfigError } from '../errors.ts'
import { consumeTopic, listTopicNames } from './consume.ts'
import { createTailFilter } from './filter.ts'
import { formatEvent, formatUnknown } from './format.ts'
import { parseEventValue } from './read-event.ts'
import type { TailConfig } from './tail-options.ts'
import { hasPatterns, selectTopics, tailTopicPatterns } from './topics.ts'

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
  const topics = await resolveTopics(config, logger)
  const several = topics.length > 1
  let printed = 0
  try {
    for await (const message of consumeTopic(config, {
      topics,
      fromBeginning: config.tailFromBeginning,
      signal: stop.signal,
      logger,
    })) {
      const event = parseEventValue(message.value)
      if (!keep(event)) continue
      const readable = event ? formatEvent(event) : formatUnknown(message.value, message)
      const line = config.tailJson ? message.value : several ? `${message.topic} ${readable}` : readable
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

/** names as given, patterns expanded against the broker's topics; none left is a config error */
async function resolveTopics(config: TailConfig, logger: Logger): Promise<string[]> {
  const patterns = tailTopicPatterns(config)
  if (!hasPatterns(patterns)) return patterns
  const { topics, unmatched } = selectTopics(patterns, await listTopicNames(config))
  if (unmatched.length > 0) logger.warn({ patterns: unmatched }, 'no topic matches these patterns (yet)')
  if (topics.length === 0) {
    throw new ConfigError([`--topics: no topic matches ${patterns.join(', ')}`])
  }
  return topics
}
