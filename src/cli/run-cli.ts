// The CLI (loaded by main.ts once the Node.js version is checked): parse the command line, run
// the command, set the exit code (0 clean stop, 1 runtime failure, 2 bad configuration or
// usage). SIGTERM and SIGINT stop it gracefully, and so does the end of the npm process that
// started it (npx, npm exec, npm start: see watch-parent.ts).
import { readFileSync } from 'node:fs'
import { createApp } from '../app.ts'
import { ConfigError, EXIT_FENCED, WriterFencedError } from '../errors.ts'
import { createLogger } from '../logging/logger.ts'
import { createRecentLog } from '../logging/recent-log.ts'
import type { TailConfig } from '../tail/tail-options.ts'
import {
  type BackfillCommand,
  type ConfigOf,
  commandName,
  findCommand,
  loadConfig,
  printableConfig,
} from './commands.ts'
import { commandHelp, mainHelp } from './help.ts'
import { startedByNpm, watchParent } from './watch-parent.ts'

/** under npm, stops as on SIGTERM once the npm process is gone (its shell does not pass signals on) */
function stopWithNpm(onGone: (parentPid: number) => void): () => void {
  return startedByNpm(process.env) ? watchParent({ onGone }) : () => {}
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

function usageError(message: string): void {
  process.stderr.write(`atkafka: ${message}\n\n${mainHelp(pkg.version)}`)
  process.exitCode = 2
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`${pkg.version}\n`)
    return
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(mainHelp(pkg.version))
    return
  }
  const found = findCommand(argv)
  if (!found) {
    usageError(`unknown command "${argv.slice(0, 2).join(' ')}"`)
    return
  }
  const { command, rest } = found
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command))
    return
  }
  const printConfig = rest.includes('--print-config')
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(
      command,
      rest.filter((a) => a !== '--print-config'),
      process.env,
    )
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `atkafka: ${err.message}\n\nRun \`${commandName(command)} --help\` for the options.\n`,
      )
      process.exitCode = 2
      return
    }
    throw err
  }
  if (printConfig) {
    process.stdout.write(`${JSON.stringify(printableConfig(command, config), null, 2)}\n`)
    return
  }
  if (command === 'tail') {
    await tail(config as TailConfig)
    return
  }
  if (command === 'backfill-plan' || command === 'backfill-work' || command === 'backfill-status') {
    await backfill(command, config as ConfigOf<BackfillCommand>)
    return
  }
  const streamConfig = config as Exclude<typeof config, TailConfig>

  const recentLog = createRecentLog()
  const logger = createLogger(streamConfig.logLevel, undefined, recentLog)
  logger.info({ version: pkg.version, command, config: printableConfig(command, config) }, 'starting')
  const stop = new AbortController()
  let forced: NodeJS.Timeout | undefined
  /** starts the drain (once): stop reading, let in-flight events reach Kafka within the deadline */
  const shutDown = (cause: Record<string, unknown>) => {
    logger.info(
      { ...cause, deadlineMs: streamConfig.shutdownTimeoutMs },
      'shutting down: draining in-flight events',
    )
    stop.abort()
    forced = setTimeout(() => {
      logger.error(
        { deadlineMs: streamConfig.shutdownTimeoutMs },
        'shutdown deadline passed; exiting with events in flight',
      )
      logger.flush()
      process.exit(1)
    }, streamConfig.shutdownTimeoutMs)
    forced.unref()
  }
  // only a signal sent while draining is a second signal: a human insisting (Ctrl-C twice)
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      logger.warn({ signal: sig }, 'second signal; exiting now')
      process.exit(1)
    }
    shutDown({ signal: sig })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const unwatch = stopWithNpm((parentPid) => {
    if (stop.signal.aborted) {
      // a process-group SIGTERM (systemd's default, `kill -TERM -- -PGID`) reaches npm, its shell
      // and atkafka at once: npm dies at once, atkafka is already draining and goes on
      logger.info({ parentPid }, 'the npm process that started atkafka is gone; the drain goes on')
      return
    }
    logger.warn({ parentPid }, 'the npm process that started atkafka is gone')
    shutDown({ parentPid })
  })
  try {
    const app = await createApp(command, streamConfig, { logger, recentLog })
    await app.run(stop.signal)
    logger.info('stopped')
  } catch (err) {
    if (err instanceof WriterFencedError) {
      // --standby: another instance writes now; nothing of this one may reach Kafka any more, so
      // it does not drain or close anything: it goes, and its supervisor restarts it as a standby
      logger.error(
        { reason: err.message, exitCode: EXIT_FENCED },
        'fenced: another instance is the writer now; exiting at once',
      )
      logger.flush()
      process.exit(EXIT_FENCED)
    }
    logger.error({ err }, 'run failed')
    // a configuration problem found only by asking the upstream (ozone-events: a refused login,
    // a DID that is not a labeler) is still a configuration problem
    process.exitCode = err instanceof ConfigError ? 2 : 1
    // what a failed run left open (a socket waiting for its close handshake, a Kafka client's
    // timer) must not keep the process past the shutdown deadline
    setTimeout(() => {
      logger.warn({ deadlineMs: streamConfig.shutdownTimeoutMs }, 'still running after a failed run; exiting')
      logger.flush()
      process.exit(process.exitCode)
    }, streamConfig.shutdownTimeoutMs).unref()
  } finally {
    unwatch()
    clearTimeout(forced)
    logger.flush()
  }
}

/** `atkafka tail`: events on stdout, logs on stderr; SIGINT/SIGTERM stop it with exit code 0. */
async function tail(config: TailConfig): Promise<void> {
  const logger = createLogger(config.logLevel, process.stderr)
  const stop = new AbortController()
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  // npm gone is not a second signal: tail may already be stopping
  const unwatch = stopWithNpm(() => stop.abort())
  try {
    const { runTail } = await import('../tail/run-tail.ts')
    const printed = await runTail(config, { logger, out: process.stdout, signal: stop.signal })
    logger.debug({ printed }, 'tail stopped')
  } catch (err) {
    logger.error({ err }, 'tail failed')
    process.exitCode = 1
  } finally {
    unwatch()
    logger.flush()
  }
}

/**
 * `atkafka backfill plan|work|status`: results on stdout (plan, status), logs on stderr;
 * SIGINT/SIGTERM stop it (a worker ends its open repo transactions and leaves the group).
 */
async function backfill(command: BackfillCommand, config: ConfigOf<BackfillCommand>): Promise<void> {
  const logger = createLogger(config.logLevel, process.stderr)
  const stop = new AbortController()
  const deadlineMs = 'shutdownTimeoutMs' in config ? config.shutdownTimeoutMs : 10_000
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(1)
    logger.info({ signal: sig, deadlineMs }, 'stopping')
    stop.abort()
    // open repo transactions are aborted by the broker when the next owner fences them
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed; exiting')
      logger.flush()
      process.exit(1)
    }, deadlineMs).unref()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const unwatch = stopWithNpm(() => onSignal('SIGTERM'))
  try {
    const run = await import('../backfill/run-backfill.ts')
    const deps = { logger, signal: stop.signal, out: process.stdout }
    if (command === 'backfill-plan') await run.runBackfillPlan(config as ConfigOf<'backfill-plan'>, deps)
    else if (command === 'backfill-work') await run.runBackfillWork(config as ConfigOf<'backfill-work'>, deps)
    else await run.runBackfillStatus(config as ConfigOf<'backfill-status'>, deps)
    logger.info('stopped')
  } catch (err) {
    logger.error({ err }, `${commandName(command)} failed`)
    process.exitCode = err instanceof ConfigError ? 2 : 1
  } finally {
    unwatch()
    logger.flush()
  }
}

await main(process.argv.slice(2))
