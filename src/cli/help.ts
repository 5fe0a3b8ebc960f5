// --help text, generated from the config schema.
import { defaultOf } from '../config/option.ts'
import { type Command, specsFor } from '../config/schema.ts'

const COMMANDS: Record<Command, { usage: string; summary: string }> = {
  relay: {
    usage: 'atkafka firehose relay [options]',
    summary:
      'subscribe to a relay firehose (com.atproto.sync.subscribeRepos) and produce every event to Kafka',
  },
  tap: {
    usage: 'atkafka firehose tap [options]',
    summary:
      'read Tap’s /channel (backfill and live) and produce every event to Kafka, acking after Kafka holds it',
  },
  ozone: {
    usage: 'atkafka ozone-events [options]',
    summary:
      'read a labeler’s moderation events from Ozone (queryEvents through the moderator’s PDS) and produce each once to Kafka',
  },
  tail: {
    usage: 'atkafka tail [options]',
    summary:
      'print the events in the output topic (readable lines or --json), from now or --from-beginning, filtered by --did, --collection, --action',
  },
}

/** how a command is invoked, e.g. `atkafka firehose relay` or `atkafka tail` */
export function commandName(command: Command): string {
  return COMMANDS[command].usage.replace(/ \[options\]$/, '')
}

export function mainHelp(version: string): string {
  const lines = [`atkafka ${version}: stream the AT Protocol network into Apache Kafka`, '', 'Usage:']
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage.padEnd(36)} ${c.summary}`)
  lines.push(
    '  atkafka --help | --version',
    '',
    'Run `atkafka firehose relay --help` for the options of a command.',
    '',
  )
  return lines.join('\n')
}

export function commandHelp(command: Command): string {
  const { usage, summary } = COMMANDS[command]
  const lines = [`Usage: ${usage}`, '', summary, '']
  let group = ''
  for (const [, spec] of specsFor(command)) {
    if (spec.group !== group) {
      group = spec.group
      lines.push(`${group}:`)
    }
    const value = spec.boolean ? '' : ' <value>'
    const flags = spec.flags.map((f) => `--${f}`).join(', ')
    const shown = defaultOf(spec, command)
    const def = spec.required ? ' (required)' : shown ? ` (default: ${shown})` : ''
    lines.push(`  ${flags}${value}`, `      ${spec.description}${def}`, `      env: ${spec.env.join(', ')}`)
  }
  lines.push(
    '',
    'Flags win over environment variables. Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.',
    '',
  )
  return lines.join('\n')
}
