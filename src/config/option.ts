// How an option is declared, and the value parsers options share. A declaration says only what
// cannot be derived: its key names the flag (camelCase → kebab-case, minus the section's key
// prefix) and the env variable (ATKAFKA_ + SCREAMING_SNAKE of the whole key); its section gives
// the help group and its audience, who takes it; an option is boolean when its schema is `bool`.
// Values are parsed from the raw string by valibot schemas.
//
// config/ names no command: an option is taken by every command of its audience, a trait a
// command has (a source declares its traits in its catalog entry, src/sources/catalog.ts) or
// the name of the one command whose own option it is.
import * as v from 'valibot'

/**
 * Who takes an option. Traits: `all` (every command, `tail` too), `stream` (every command that
 * produces to Kafka: the sources), `firehose` (sources of the network's accounts: filters and
 * identity lookups), `cursor` (sources that resume from a stored position), `socket`
 * (websocket upstreams), `event-stream` (atproto subscriptions with a seq cursor), `standby`
 * (sources that can wait as standbys); or a command's own name.
 */
export type Audience = string

/** turns the raw string (already defaulted) into the value; issue messages say what is wrong */
type ValueSchema<T> = v.GenericSchema<string, T>

export interface OptionSpec<T = unknown, A extends string = string> {
  /** every flag that sets it, without the leading dashes, the canonical one first */
  readonly flags: readonly string[]
  /** env names, the canonical one first */
  readonly env: readonly string[]
  /** the default as it would be written on the command line; undefined: none */
  readonly default: string | undefined
  readonly required: boolean
  /** may be given bare (`--tls`) */
  readonly boolean: boolean
  /** redacted in logs, errors and --print-config */
  readonly secret: boolean
  readonly description: string
  readonly group: string
  /** who takes it: traits or command names (see Audience) */
  readonly audience: readonly A[]
  readonly schema: ValueSchema<T>
}

/** options by key */
export type OptionTable = { readonly [key: string]: OptionSpec<unknown> }

/** an option's value type */
type ValueOf<S> = S extends OptionSpec<infer T> ? T : never

/** the values of the options of `T` that a command of audiences `A` takes */
export type ValuesFor<T extends OptionTable, A extends string> = {
  readonly [K in keyof T as Extract<T[K]['audience'][number], A> extends never ? never : K]: ValueOf<T[K]>
}

/** the values of every option of `T` (a command's own section) */
export type ValuesOf<T extends OptionTable> = { readonly [K in keyof T]: ValueOf<T[K]> }

/** whether a command of these audiences takes the option */
export function takes(spec: OptionSpec, audience: readonly string[]): boolean {
  return spec.audience.some((a) => audience.includes(a))
}

/** one option as declared in a section */
export interface OptionInput<T> {
  readonly schema: ValueSchema<T>
  readonly help: string
  readonly default?: string
  readonly required?: true
  readonly secret?: true
  /** extra flags (the Go original's spellings) */
  readonly aliases?: readonly string[]
  /** extra env names (the Go original's spellings) */
  readonly env?: readonly string[]
  /** instead of the section's audience */
  readonly audience?: readonly Audience[]
}

type Specs<S extends Record<string, OptionInput<unknown>>, A extends string> = {
  readonly [K in keyof S]: OptionSpec<
    v.InferOutput<S[K]['schema']>,
    S[K] extends { readonly audience: readonly (infer O)[] } ? O & string : A
  >
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()

/** A help group of options taken by `audience`; `keyPrefix` is left out of the flags only. */
export function section<const A extends Audience, const S extends Record<string, OptionInput<unknown>>>(
  group: string,
  audience: readonly A[],
  inputs: S,
  keyPrefix = '',
): Specs<S, A> {
  const out: Record<string, OptionSpec> = {}
  for (const [key, input] of Object.entries(inputs)) {
    const bare = key.slice(keyPrefix.length)
    out[key] = {
      flags: [kebab(bare.charAt(0).toLowerCase() + bare.slice(1)), ...(input.aliases ?? [])],
      env: [`ATKAFKA_${snake(key)}`, ...(input.env ?? [])],
      default: input.default,
      required: input.required ?? false,
      boolean: input.schema === bool,
      secret: input.secret ?? false,
      description: input.help,
      group,
      audience: input.audience ?? audience,
      schema: input.schema,
    }
  }
  return out as Specs<S, A>
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
