// Every command atkafka has: each source's (its catalog entry, src/sources/catalog.ts) and
// `tail`. For each: how it is invoked, its help line, and the options it takes (the shared
// options of its audience, src/config/schema.ts, and its own), with its own defaults; and the
// config it loads, typed for that command.

import {
  type BackfillPlanConfig,
  type BackfillStatusConfig,
  type BackfillWorkConfig,
  backfillOptions,
  planProblems,
} from '../backfill/backfill-options.ts'
import { type CommandSpecs, label, loadOptions, redactedConfig } from '../config/load-config.ts'
import { type OptionSpec, type OptionTable, takes } from '../config/option.ts'
import { derive, type SharedKey, type SharedOptions, sharedOptions } from '../config/schema.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import { FORMAT_KINDS, OUTPUT_FORMATS, type OutputFormat } from '../output/formats.ts'
import { SOURCES, type SourceCommand, type SourceConfigOf } from '../sources/catalog.ts'
import { type TailConfig, tailOptions } from '../tail/tail-options.ts'

interface CommandEntry {
  /** how it is invoked: ['firehose', 'relay'] */
  readonly path: readonly string[]
  readonly summary: string
  /** who it is, for the options: `all`, its traits, its own name */
  readonly audience: readonly string[]
  /** its own options */
  readonly options: OptionTable
  readonly optionDefaults?: { readonly [key in SharedKey]?: string }
  /** a source's: the kinds of event it yields */
  readonly eventKinds?: readonly AtprotoEvent['kind'][]
  /** a resumable source's cursor name when --source-id is empty */
  defaultSourceId?(values: never): string
}

export type BackfillCommand = 'backfill-plan' | 'backfill-work' | 'backfill-status'
export type Command = SourceCommand | 'tail' | BackfillCommand

/** what a command is configured with */
export type ConfigOf<C extends Command> = C extends SourceCommand
  ? SourceConfigOf<C>
  : C extends 'tail'
    ? TailConfig
    : C extends 'backfill-plan'
      ? BackfillPlanConfig
      : C extends 'backfill-work'
        ? BackfillWorkConfig
        : BackfillStatusConfig

const sourceCommands = Object.fromEntries(
  Object.values(SOURCES).map((s): [SourceCommand, CommandEntry] => [
    s.command as SourceCommand,
    {
      path: s.path,
      summary: s.summary,
      audience: ['all', 'stream', s.command, ...s.traits],
      options: s.options,
      optionDefaults: s.optionDefaults,
      eventKinds: s.eventKinds,
      defaultSourceId: s.cursor?.defaultSourceId as CommandEntry['defaultSourceId'],
    },
  ]),
) as Record<SourceCommand, CommandEntry>

export const COMMANDS: Readonly<Record<Command, CommandEntry>> = {
  ...sourceCommands,
  tail: {
    path: ['tail'],
    summary:
      'print the events in the output topic (readable lines or --json), from now or --from-beginning, filtered by --did, --collection, --action',
    audience: ['all', 'tail'],
    options: tailOptions,
  },
  'backfill-plan': {
    path: ['backfill', 'plan'],
    summary:
      'list the repos to copy (PDS hosts, a relay, or DIDs) into the backfill work topic, one item per repo; resumable, and a finished plan run again adds nothing',
    audience: ['all', 'backfill-plan'],
    options: backfillOptions,
  },
  'backfill-work': {
    path: ['backfill', 'work'],
    summary:
      'copy the repos of the work topic into Kafka as one of a fleet of workers (a consumer group): getRepo, verified, every record once per repo (one transaction each)',
    audience: ['all', 'backfill-work'],
    options: backfillOptions,
    eventKinds: ['operation'],
  },
  'backfill-status': {
    path: ['backfill', 'status'],
    summary:
      'print how far a backfill is: repos planned, done, failed by reason, left, and the relay cursor live mode starts from',
    audience: ['all', 'backfill-status'],
    options: backfillOptions,
  },
}

/** sources' own groups of options come before this shared group, after the upstream ones */
const OWN_GROUPS_BEFORE = 'Output'

/**
 * Every option in help order: the shared groups, a source's own options first in a group it
 * shares (its upstream address in Upstream), its groups of its own before Output; tail's last.
 */
export const options = (() => {
  const groups = new Map<string, [string, OptionSpec][]>()
  const ownGroups = new Map<string, [string, OptionSpec][]>()
  const shared = Object.entries(sharedOptions) as [string, OptionSpec][]
  for (const [, spec] of shared) if (!groups.has(spec.group)) groups.set(spec.group, [])
  for (const entry of Object.values(sourceCommands)) {
    for (const [key, spec] of Object.entries(entry.options)) {
      const into = groups.get(spec.group) ?? ownGroups.get(spec.group) ?? []
      if (!groups.has(spec.group)) ownGroups.set(spec.group, into)
      into.push([key, spec])
    }
  }
  for (const pair of shared) groups.get(pair[1].group)?.push(pair)
  const ordered: [string, OptionSpec][] = []
  for (const [group, list] of groups) {
    if (group === OWN_GROUPS_BEFORE) for (const own of ownGroups.values()) ordered.push(...own)
    ordered.push(...list)
  }
  ordered.push(...(Object.entries(tailOptions) as [string, OptionSpec][]))
  ordered.push(...(Object.entries(backfillOptions) as [string, OptionSpec][]))
  // one flat namespace of keys (and so of flags and env names): a source declaring a key that
  // another table has would silently replace that option, e.g. a `cursor` of its own hiding
  // relay's --cursor
  const seen = new Set<string>()
  const twice = ordered.map(([key]) => key).filter((key) => seen.size === seen.add(key).size)
  if (twice.length > 0)
    throw new Error(`options declared twice across the command tables: ${twice.join(', ')}`)
  return Object.fromEntries(ordered) as SharedOptions & OptionTable
})()

/** the commands that take an option, in command order */
export function commandsOf(spec: OptionSpec): Command[] {
  return (Object.keys(COMMANDS) as Command[]).filter((c) => takes(spec, COMMANDS[c].audience))
}

/** an option's default when `command` runs */
function defaultOf(key: string, spec: OptionSpec, command: Command): string | undefined {
  return COMMANDS[command].optionDefaults?.[key as SharedKey] ?? spec.default
}

/** a command's options, in help order, with its defaults */
export function specsFor(command: Command): CommandSpecs {
  const { audience } = COMMANDS[command]
  return Object.entries(options)
    .filter(([, spec]) => takes(spec, audience))
    .map(([key, spec]) => [key, { ...spec, default: defaultOf(key, spec, command) }] as const)
}

/** the default as help and docs show it, e.g. `false (relay: true)` */
export function shownDefault(key: string, spec: OptionSpec): string {
  const general = spec.default ?? ''
  const commands = commandsOf(spec)
  const special = commands.filter((c) => {
    const own = COMMANDS[c].optionDefaults?.[key as SharedKey]
    return own !== undefined && own !== general
  })
  if (special.length === 0) return general
  const own = special.map((c) => `${c}: ${defaultOf(key, spec, c)}`).join(', ')
  return special.length === commands.length ? own : `${general} (${own})`
}

/** how a command is invoked, e.g. `atkafka firehose relay` or `atkafka tail` */
export function commandName(command: Command): string {
  return ['atkafka', ...COMMANDS[command].path].join(' ')
}

/** the command a command line names, and the arguments after it */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const [command, entry] of Object.entries(COMMANDS) as [Command, CommandEntry][]) {
    if (entry.path.every((word, i) => argv[i] === word)) {
      return { command, rest: argv.slice(entry.path.length) }
    }
  }
  return undefined
}

/** rules between a command and the shared options it takes */
function commandProblems(command: Command, values: Record<string, unknown>): string[] {
  if (command === 'backfill-plan') return planProblems(values)
  // a source that acks upstream (Tap) cannot be exactly once without its acks
  const { disableAcks } = options
  const problems =
    values.exactlyOnce === true && values.disableAcks === true && disableAcks
      ? [
          `${label(options.exactlyOnce)} and ${label(disableAcks)}: one or the other (without acks Tap forgets each event once sent, so nothing can be once)`,
        ]
      : []
  return [...problems, ...formatProblems(command, values)]
}

/** the format must have a shape for the command's events */
function formatProblems(command: Command, values: Record<string, unknown>): string[] {
  const { eventKinds, path } = COMMANDS[command]
  const format = values.format as OutputFormat | undefined
  const canWrite = (f: OutputFormat) => eventKinds?.some((kind) => FORMAT_KINDS[f].includes(kind)) ?? true
  if (format === undefined || canWrite(format)) return []
  const name = format === 'jetstream' ? 'Jetstream' : format
  const others = OUTPUT_FORMATS.filter(canWrite).join(' or ')
  return [
    `${label(sharedOptions.format)}: ${name} has no shape for ${eventKinds?.join(' or ')} events (${path.join(' ')} writes ${others})`,
  ]
}

/**
 * argv + env → the command's frozen config, with deadLetterTopic and sourceId defaulted, or a
 * ConfigError naming the flag and env var of every problem.
 */
export function loadConfig<C extends Command>(
  command: C,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ConfigOf<C> {
  const values = loadOptions(specsFor(command), argv, env, (v) => commandProblems(command, v))
  const sourceId = COMMANDS[command].defaultSourceId as ((v: Record<string, unknown>) => string) | undefined
  return Object.freeze(derive(values, sourceId)) as unknown as ConfigOf<C>
}

/** the command's effective configuration with secrets redacted, for logs and --print-config */
export function printableConfig(command: Command, config: object): Record<string, unknown> {
  return redactedConfig(specsFor(command), config)
}
