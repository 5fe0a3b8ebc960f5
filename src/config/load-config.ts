// argv + env → a frozen Config, or a ConfigError naming the flag and env var of every problem.
// Precedence: flag > env (first listed name that is set) > default.
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError } from '../errors.ts'
import { validateCollectionPattern } from '../filters/collection-matcher.ts'
import { validateServicePattern } from '../filters/service-filter.ts'
import { type Command, type Config, type OptionKey, type OptionSpec, options } from './schema.ts'

const specs = Object.entries(options) as [OptionKey, OptionSpec<unknown>][]

export function specsFor(command: Command): [OptionKey, OptionSpec<unknown>][] {
  return specs.filter(([, s]) => s.commands.includes(command))
}

export function label(spec: OptionSpec<unknown>): string {
  return `--${spec.flag} / ${spec.env.join(' / ')}`
}

/** Raw string per option, with where it came from, before validation. */
function rawValues(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv, problems: string[]) {
  const own = specsFor(command)
  const byFlag = new Map<string, OptionKey>()
  for (const [key, spec] of own) for (const f of [spec.flag, ...(spec.flagAliases ?? [])]) byFlag.set(f, key)
  // Booleans may be given bare (--tls) or with a value (--tls=false), as the Go original allowed.
  const args = argv.map((a) => {
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined
    const key = name === undefined ? undefined : byFlag.get(name)
    return key !== undefined && options[key].kind === 'boolean' ? `${a}=true` : a
  })
  let parsed: Record<string, string | undefined> = {}
  try {
    const out = parseArgs({
      args,
      options: Object.fromEntries([...byFlag.keys()].map((f) => [f, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    })
    parsed = out.values as Record<string, string | undefined>
  } catch (err) {
    problems.push((err as Error).message.replace(/\. To specify.*$/s, ''))
  }
  const raw = new Map<OptionKey, string | undefined>()
  for (const [key, spec] of own) {
    const fromFlag = [spec.flag, ...(spec.flagAliases ?? [])]
      .map((f) => parsed[f])
      .find((v) => v !== undefined)
    const fromEnv = spec.env.map((e) => env[e]).find((v) => v !== undefined)
    raw.set(key, fromFlag ?? fromEnv ?? spec.default)
  }
  return raw
}

export function loadConfig(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const problems: string[] = []
  const raw = rawValues(command, argv, env, problems)
  const values: Record<string, unknown> = {}
  for (const [key, spec] of specsFor(command)) {
    const value = raw.get(key)
    if (value === undefined || (spec.required && value.trim() === '')) {
      if (spec.required) problems.push(`${label(spec)}: required`)
      continue
    }
    const result = spec.schema.safeParse(value)
    if (result.success) values[key] = result.data
    else {
      const shown = spec.secret ? '<redacted>' : JSON.stringify(value)
      problems.push(`${label(spec)}: ${result.error.issues.map((i) => i.message).join('; ')}, got ${shown}`)
    }
  }
  problems.push(...crossFieldProblems(values))
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(values) as Config
}

function crossFieldProblems(v: Record<string, unknown>): string[] {
  const problems: string[] = []
  const o = options
  const matched = (v.matchedCollections as string[] | undefined) ?? []
  const ignored = (v.ignoredCollections as string[] | undefined) ?? []
  if (matched.length > 0 && ignored.length > 0) {
    problems.push(
      `${label(o.matchedCollections)} and ${label(o.ignoredCollections)}: give one or the other, not both`,
    )
  }
  for (const [key, patterns] of [
    ['matchedCollections', matched],
    ['ignoredCollections', ignored],
  ] as const) {
    for (const p of patterns) {
      const problem = validateCollectionPattern(p)
      if (problem) problems.push(`${label(o[key])}: ${problem}`)
    }
  }
  const matchedServices = (v.matchedServices as string[] | undefined) ?? []
  const ignoredServices = (v.ignoredServices as string[] | undefined) ?? []
  if (matchedServices.length > 0 && ignoredServices.length > 0) {
    problems.push(
      `${label(o.matchedServices)} and ${label(o.ignoredServices)}: give one or the other, not both`,
    )
  }
  for (const [key, patterns] of [
    ['matchedServices', matchedServices],
    ['ignoredServices', ignoredServices],
  ] as const) {
    for (const p of patterns) {
      const problem = validateServicePattern(p)
      if (problem) problems.push(`${label(o[key])}: ${problem}`)
    }
  }
  if (v.saslMechanism && (!v.saslUsername || !v.saslPassword)) {
    problems.push(`${label(o.saslUsername)} and ${label(o.saslPassword)}: required with --sasl-mechanism`)
  }
  if (Boolean(v.tlsCertFile) !== Boolean(v.tlsKeyFile)) {
    problems.push(`${label(o.tlsCertFile)} and ${label(o.tlsKeyFile)}: give both or neither`)
  }
  for (const key of ['tlsCaFile', 'tlsCertFile', 'tlsKeyFile'] as const) {
    const file = v[key] as string | undefined
    if (file && !existsSync(file)) problems.push(`${label(o[key])}: no such file ${JSON.stringify(file)}`)
  }
  if (
    typeof v.reconnectMinMs === 'number' &&
    typeof v.reconnectMaxMs === 'number' &&
    v.reconnectMinMs > v.reconnectMaxMs
  ) {
    problems.push(`${label(o.reconnectMinMs)}: must not exceed --reconnect-max-ms`)
  }
  if (v.exactlyOnce === true && v.cursorStore !== undefined && v.cursorStore !== 'kafka') {
    problems.push(
      `${label(o.exactlyOnce)}: needs --cursor-store kafka (the cursor commits in the same transaction as the events)`,
    )
  }
  if (v.standby === true && v.cursorStore !== undefined && v.cursorStore !== 'kafka') {
    problems.push(
      `${label(o.standby)}: needs --cursor-store kafka (the instances share the cursor through Kafka)`,
    )
  }
  return problems
}

/** The effective configuration with secrets redacted, for logs and --print-config. */
export function redactedConfig(command: Command, config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, spec] of specsFor(command)) {
    out[key] = spec.secret && config[key] ? '<redacted>' : config[key]
  }
  return out
}
