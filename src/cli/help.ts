// --help text, generated from the commands and their options (commands.ts).
import { COMMANDS, type Command, commandName, specsFor } from './commands.ts'

const usage = (command: Command) => `${commandName(command)} [options]`

export function mainHelp(version: string): string {
  const lines = [`atkafka ${version}: stream the AT Protocol network into Apache Kafka`, '', 'Usage:']
  for (const command of Object.keys(COMMANDS) as Command[]) {
    lines.push(`  ${usage(command).padEnd(36)} ${COMMANDS[command].summary}`)
  }
  lines.push(
    '  atkafka --help | --version',
    '',
    'Run `atkafka firehose relay --help` for the options of a command.',
    '',
  )
  return lines.join('\n')
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usage(command)}`, '', COMMANDS[command].summary, '']
  let group = ''
  for (const [, spec] of specsFor(command)) {
    if (spec.group !== group) {
      group = spec.group
      lines.push(`${group}:`)
    }
    const value = spec.boolean ? '' : ' <value>'
    const flags = spec.flags.map((f) => `--${f}`).join(', ')
    const shown = spec.default
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
