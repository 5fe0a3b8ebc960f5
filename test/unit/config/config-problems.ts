// What the config unit tests share: a minimal valid environment, and the problems loadConfig
// reports for a command line it refuses (a ConfigError's list, one line per bad option).
import assert from 'node:assert/strict'
import type { Command } from '../../../src/cli/commands.ts'
import { loadConfig } from '../../../src/cli/commands.ts'
import { ConfigError } from '../../../src/errors.ts'

/** the only setting without a default */
export const base = { ATKAFKA_BOOTSTRAP_SERVERS: 'localhost:9092' }

export function problems(
  argv: string[],
  env: Record<string, string> = base,
  command: Command = 'relay',
): string[] {
  try {
    loadConfig(command, argv, env)
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    return [...err.problems]
  }
  assert.fail('expected a ConfigError')
}
