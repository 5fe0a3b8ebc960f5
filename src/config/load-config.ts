// argv + env → the values of a command's options, or a ConfigError naming the flag and env
// var of every problem. Precedence: flag > env (first listed name that is set) > default.
// Which options a command takes, and their defaults, are its own (src/cli/commands.ts builds
// them from the shared options and the command's); the rules here are those between shared
// options, which hold for every command.
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as v from 'valibot'
import { ConfigError } from '../errors.ts'
import { topicCollisions } from '../output/topic-routes.ts'
import type { OptionSpec, ValuesFor } from './option.ts'
import { type SharedKey, type SharedOptions, sharedOptions } from './schema.ts'

/** a command's options in help order, each with the default it has for that command */
export type CommandSpecs = readonly (readonly [key: string, spec: OptionSpec])[]

/** every shared option's value, as far as the command takes it */
type SharedValues = Partial<ValuesFor<SharedOptions, string>>

/** the flag and variables of an option, as problems name it */
export function label(spec: OptionSpec): string {
  return `--${spec.flags[0]} / ${spec.env.join(' / ')}`
}

/** Raw string per option (flag, else env, else default), before validation. */
function rawValues(own: CommandSpecs, argv: readonly string[], env: NodeJS.ProcessEnv, problems: string[]) {
  const byFlag = new Map<string, OptionSpec>()
  for (const [, spec] of own) for (const f of spec.flags) byFlag.set(f, spec)
  // Booleans may be given bare (--tls) or with a value (--tls=false), as the Go original allowed.
  const args = argv.map((a) => {
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined
    return name !== undefined && byFlag.get(name)?.boolean ? `${a}=true` : a
  })
  // lenient parse, so that a stray argument is one problem among the others, not the only one
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries([...byFlag.keys()].map((f) => [f, { type: 'string' as const }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const parsed: Record<string, string | undefined> = {}
  for (const token of tokens) {
    if (token.kind === 'positional') problems.push(`unexpected argument ${JSON.stringify(token.value)}`)
    else if (token.kind === 'option' && !byFlag.has(token.name))
      problems.push(`unknown option ${token.rawName}`)
    else if (token.kind === 'option' && token.value === undefined) {
      problems.push(
        `${token.rawName}: expected a value (write --${token.name}=<value> for one that starts with -)`,
      )
    } else if (token.kind === 'option') parsed[token.name] = token.value
  }
  return own.map(([key, spec]) => {
    const fromFlag = spec.flags.map((f) => parsed[f]).find((x) => x !== undefined)
    const fromEnv = spec.env.map((e) => env[e]).find((x) => x !== undefined)
    const given = fromFlag ?? fromEnv
    return [key, spec, given ?? spec.default, given !== undefined] as const
  })
}

/**
 * The values of the command's options; every problem (a bad value, a broken rule between shared
 * options, one of `moreProblems`: the command's own rules) in one ConfigError.
 */
export function loadOptions(
  specs: CommandSpecs,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  moreProblems: (values: Record<string, unknown>) => string[] = () => [],
): Record<string, unknown> {
  const problems: string[] = []
  const values: Record<string, unknown> = {}
  const given = new Set<string>()
  for (const [key, spec, value, isGiven] of rawValues(specs, argv, env, problems)) {
    if (isGiven) given.add(key)
    if (value === undefined || (spec.required && value.trim() === '')) {
      if (spec.required) problems.push(`${label(spec)}: required`)
      continue
    }
    const result = v.safeParse(spec.schema, value)
    if (result.success) values[key] = result.output
    else {
      const shown = spec.secret ? '<redacted>' : JSON.stringify(value)
      problems.push(`${label(spec)}: ${result.issues.map((i) => i.message).join('; ')}, got ${shown}`)
    }
  }
  // relay's eventMetadata default is the Go original's shape; Jetstream's has no place for it
  if (values.format === 'jetstream' && !given.has('eventMetadata')) values.eventMetadata = false
  // --exactly-once commits the cursor in Kafka: a command whose store is none by default (Tap)
  // takes the Kafka store with it
  if (values.exactlyOnce === true && !given.has('cursorStore')) values.cursorStore = 'kafka'
  problems.push(...crossFieldProblems(values as SharedValues), ...moreProblems(values))
  if (problems.length > 0) throw new ConfigError(problems)
  return values
}

/** rules between shared options: each a condition on the parsed values and what to say */
function crossFieldProblems(c: SharedValues): string[] {
  const o = sharedOptions
  const both = (a: SharedKey, b: SharedKey) => `${label(o[a])} and ${label(o[b])}`
  const rules: [broken: boolean, problem: string][] = [
    [
      !!c.matchedCollections?.length && !!c.ignoredCollections?.length,
      `${both('matchedCollections', 'ignoredCollections')}: give one or the other, not both`,
    ],
    [
      !!c.matchedServices?.length && !!c.ignoredServices?.length,
      `${both('matchedServices', 'ignoredServices')}: give one or the other, not both`,
    ],
    [
      !!c.saslMechanism && (!c.saslUsername || !c.saslPassword),
      `${both('saslUsername', 'saslPassword')}: required with --sasl-mechanism`,
    ],
    [
      Boolean(c.tlsCertFile) !== Boolean(c.tlsKeyFile),
      `${both('tlsCertFile', 'tlsKeyFile')}: give both or neither`,
    ],
    ...(['tlsCaFile', 'tlsCertFile', 'tlsKeyFile'] as const).map((key): [boolean, string] => [
      !!c[key] && !existsSync(c[key]),
      `${label(o[key])}: no such file ${JSON.stringify(c[key])}`,
    ]),
    [
      c.reconnectMinMs !== undefined && c.reconnectMaxMs !== undefined && c.reconnectMinMs > c.reconnectMaxMs,
      `${label(o.reconnectMinMs)}: must not exceed --reconnect-max-ms`,
    ],
    [
      c.maxBatchBytes !== undefined && c.maxRequestBytes !== undefined && c.maxBatchBytes > c.maxRequestBytes,
      `${label(o.maxBatchBytes)}: must not exceed --max-request-bytes`,
    ],
    [
      c.exactlyOnce === true && c.cursorStore !== undefined && c.cursorStore !== 'kafka',
      `${label(o.exactlyOnce)}: needs --cursor-store kafka (the cursor commits in the same transaction as the events)`,
    ],
    [
      c.standby === true && c.cursorStore !== undefined && c.cursorStore !== 'kafka',
      `${label(o.standby)}: needs --cursor-store kafka (the instances share the cursor through Kafka)`,
    ],
    [
      c.format === 'jetstream' && c.ospreyCompatible === true,
      `${both('format', 'ospreyCompatible')}: one format only (--format jetstream or --osprey-compatible)`,
    ],
    [
      c.format === 'jetstream' && c.eventMetadata === true,
      `${both('format', 'eventMetadata')}: Jetstream’s events have no eventMetadata (service filters work with any format)`,
    ],
    ...routedTopicProblems(c),
  ]
  return rules.filter(([broken]) => broken).map(([, problem]) => problem)
}

/** routed topics must not be atkafka's own topics, nor names Kafka refuses beside them */
function routedTopicProblems(c: SharedValues): [boolean, string][] {
  const routed = c.topicRoutes?.literalTopics ?? []
  if (routed.length === 0 || c.outputTopic === undefined) return []
  const where = label(sharedOptions.topicRoutes)
  const own = [
    c.deadLetterTopic || `${c.outputTopic}.dlq`,
    ...(c.cursorTopic !== undefined && c.cursorStore === 'kafka' ? [c.cursorTopic] : []),
  ]
  return [
    ...routed.map((t): [boolean, string] => [
      own.includes(t),
      `${where}: ${JSON.stringify(t)} is atkafka’s dead-letter or cursor topic`,
    ]),
    ...topicCollisions([c.outputTopic, ...own, ...routed]).map((p): [boolean, string] => [
      true,
      `${where}: ${p}`,
    ]),
  ]
}

/** The effective configuration with secrets redacted, for logs and --print-config. */
export function redactedConfig(specs: CommandSpecs, config: object): Record<string, unknown> {
  const values = config as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [key, spec] of specs) out[key] = spec.secret && values[key] ? '<redacted>' : values[key]
  return out
}
