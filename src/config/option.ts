// How an option is declared, and the value parsers options share. A declaration says only what
// cannot be derived: its key names the flag (camelCase → kebab-case, minus the section's key
// prefix) and the env variable (ATKAFKA_ + SCREAMING_SNAKE of the whole key); its section gives
// the help group and the commands that take it; an option is boolean when its schema is `bool`.
// Values are parsed from the raw string by valibot schemas.
import * as v from 'valibot'

/**
 * the commands that stream an upstream into Kafka: `atkafka firehose relay|tap` and
 * `atkafka ozone-events` (command 'ozone': a labeler's moderation events)
 */
export type FirehoseCommand = 'relay' | 'tap' | 'ozone'
/** `tail` reads the output topic back and prints it */
export type Command = FirehoseCommand | 'tail'

/** turns the raw string (already defaulted) into the value; issue messages say what is wrong */
type ValueSchema<T> = v.GenericSchema<string, T>

export interface OptionSpec<T = unknown> {
  /** every flag that sets it, without the leading dashes, the canonical one first */
  readonly flags: readonly string[]
  /** env names, the canonical one first */
  readonly env: readonly string[]
  /** the default as it would be written on the command line; undefined: none */
  readonly default: string | undefined
  /** commands whose default differs from `default` */
  readonly defaultFor: Readonly<Partial<Record<Command, string>>>
  readonly required: boolean
  /** may be given bare (`--tls`) */
  readonly boolean: boolean
  /** redacted in logs, errors and --print-config */
  readonly secret: boolean
  readonly description: string
  readonly group: string
  readonly commands: readonly Command[]
  readonly schema: ValueSchema<T>
}

/** one option as declared in a section */
export interface OptionInput<T> {
  readonly schema: ValueSchema<T>
  readonly help: string
  readonly default?: string
  /** commands whose default differs (the Go original's behaviour in that mode) */
  readonly defaultFor?: Partial<Record<Command, string>>
  readonly required?: true
  readonly secret?: true
  /** extra flags (the Go original's spellings) */
  readonly aliases?: readonly string[]
  /** extra env names (the Go original's spellings) */
  readonly env?: readonly string[]
  /** instead of the section's commands */
  readonly commands?: readonly Command[]
}

type Specs<S extends Record<string, OptionInput<unknown>>> = {
  readonly [K in keyof S]: OptionSpec<v.InferOutput<S[K]['schema']>>
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()

/** A help group of options taken by `commands`; `keyPrefix` is left out of the flags only. */
/** the default of an option when `command` runs */
export function defaultOf(spec: OptionSpec, command: Command): string | undefined {
  return spec.defaultFor[command] ?? spec.default
}

/** the default as help and docs show it, e.g. `false (relay: true)` */
export function shownDefault(spec: OptionSpec, commands: readonly Command[] = spec.commands): string {
  const general = spec.default ?? ''
  const special = commands.filter((c) => spec.defaultFor[c] !== undefined && spec.defaultFor[c] !== general)
  if (special.length === 0) return general
  const own = special.map((c) => `${c}: ${spec.defaultFor[c]}`).join(', ')
  return special.length === commands.length ? own : `${general} (${own})`
}

export function section<S extends Record<string, OptionInput<unknown>>>(
  group: string,
  commands: readonly Command[],
  inputs: S,
  keyPrefix = '',
): Specs<S> {
  const out: Record<string, OptionSpec> = {}
  for (const [key, input] of Object.entries(inputs)) {
    const bare = key.slice(keyPrefix.length)
    out[key] = {
      flags: [kebab(bare.charAt(0).toLowerCase() + bare.slice(1)), ...(input.aliases ?? [])],
      env: [`ATKAFKA_${snake(key)}`, ...(input.env ?? [])],
      default: input.default,
      defaultFor: input.defaultFor ?? {},
      required: input.required ?? false,
      boolean: input.schema === bool,
      secret: input.secret ?? false,
      description: input.help,
      group,
      commands: input.commands ?? commands,
      schema: input.schema,
    }
  }
  return out as Specs<S>
}

// --- value parsers ----------------------------------------------------------------------------

const TRUE = ['true', '1', 'yes', 'on']
const FALSE = ['false', '0', 'no', 'off', '']

export const text = v.string()

/** comma-separated, trimmed, empties dropped (as the Go original reads lists) */
export const list = v.pipe(
  v.string(),
  v.transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  ),
)

export const bool = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist([...TRUE, ...FALSE], 'expected true or false'),
  v.transform((s) => TRUE.includes(s)),
)

export const int = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^-?\d+$/, 'expected an integer'),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  )

/** -1 (let the broker decide) or a positive integer up to max */
export const intOrBrokerDefault = (max: number) =>
  v.pipe(
    int(-1, max),
    v.check((n) => n !== 0, 'must be -1 or positive'),
  )

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  v.picklist(values, `expected one of ${values.map((x) => x || '""').join(', ')}`)

export const wsUrl = v.pipe(
  v.string(),
  v.check((s) => URL.canParse(s) && /^wss?:$/.test(new URL(s).protocol), 'expected a ws:// or wss:// URL'),
)

/** an http(s) URL without trailing slashes; `orEmpty`: '' is accepted (the option is off) */
export const httpUrl = (orEmpty = false) =>
  v.pipe(
    v.string(),
    v.check(
      (s) => (orEmpty && s === '') || (URL.canParse(s) && /^https?:$/.test(new URL(s).protocol)),
      'expected an http:// or https:// URL',
    ),
    v.transform((s) => s.replace(/\/+$/, '')),
  )

export const topicName = v.pipe(
  v.string(),
  v.regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name ([a-zA-Z0-9._-], 1-249 chars)'),
)

/** [host]:port or a port number → where to listen */
export const listenAddress = v.pipe(
  v.string(),
  v.regex(/^([^\s:]*:)?\d{1,5}$/, 'expected [host]:port or a port number'),
  v.transform((s) => {
    const i = s.lastIndexOf(':')
    return i < 0
      ? { host: '0.0.0.0', port: Number(s) }
      : { host: s.slice(0, i) || '0.0.0.0', port: Number(s.slice(i + 1)) }
  }),
)

/** a list whose every item `validate` accepts (it returns the problem, or undefined) */
export const listOf = (validate: (item: string) => string | undefined) =>
  v.pipe(
    list,
    v.array(
      v.pipe(
        v.string(),
        v.check(
          (item) => validate(item) === undefined,
          (issue) => validate(String(issue.input)) ?? 'invalid',
        ),
      ),
    ),
  )

export const matching = (pattern: RegExp, message: string) => v.pipe(v.string(), v.regex(pattern, message))
