// Every source, one line each: the command (e.g. `relay`) → its entry (source-plugin.ts), which
// carries everything else (command path, help, options, cursor, event kinds, status block).
// The help, the command line, the config loader and the app are built from this table, so a
// source missing a part does not compile, and a source not listed here does not exist.
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { OptionTable } from '../config/option.ts'
import type { SharedKey } from '../config/schema.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { Source } from '../pipeline/types.ts'
import type { UpstreamMetrics } from '../pipeline/upstream-metrics.ts'
import type { SourceStatus } from '../status/status-report.ts'
import { jetstreamSource } from './jetstream-v2/jetstream-plugin.ts'
import { labelsSource } from './labels/labels-plugin.ts'
import { ozoneSource } from './ozone/ozone-plugin.ts'
import { relaySource } from './relay/relay-plugin.ts'
import type { CursorSpec, SourcePlugin, StatusContext, Trait } from './source-plugin.ts'
import { tapSource } from './tap/tap-plugin.ts'

/**
 * A SourcePlugin of any source: every part must be there. (Each entry is checked against its
 * own config, source and position types where it is declared; here they are erased.)
 */
export interface CatalogEntry
  extends Omit<
    SourcePlugin<string, Trait, OptionTable, Source<unknown>, unknown>,
    'upstreamUrl' | 'open' | 'cursor' | 'status' | 'metrics'
  > {
  readonly optionDefaults?: { readonly [key in SharedKey]?: string }
  readonly eventKinds: readonly AtprotoEvent['kind'][]
  // biome-ignore lint/suspicious/noExplicitAny: erased config
  upstreamUrl(config: any): string
  readonly metrics: (registry: Registry) => object
  // biome-ignore lint/suspicious/noExplicitAny: erased config and metrics
  open(config: any, deps: { metrics: UpstreamMetrics & any; logger: Logger }): Promise<Source<any>>
  // biome-ignore lint/suspicious/noExplicitAny: erased config and position
  readonly cursor: CursorSpec<any, any> | undefined
  // biome-ignore lint/suspicious/noExplicitAny: erased config and source
  status(context: StatusContext<any, any, any>): SourceStatus
}

/** keyed by command: an entry under another key than its own command does not compile */
function catalog<const T extends { readonly [K in keyof T]: CatalogEntry & { readonly command: K } }>(
  entries: T,
): T {
  return entries
}

export const SOURCES = catalog({
  relay: relaySource,
  tap: tapSource,
  jetstream: jetstreamSource,
  ozone: ozoneSource,
  labels: labelsSource,
})

/** the commands that stream an upstream into Kafka */
export type SourceCommand = keyof typeof SOURCES

/** what a source's command is configured with */
export type SourceConfigOf<K extends SourceCommand> = Parameters<(typeof SOURCES)[K]['open']>[0]

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never

/** every source's own series, as one interface (they are all registered, whichever runs) */
export type SourcesMetrics = UnionToIntersection<ReturnType<(typeof SOURCES)[SourceCommand]['metrics']>>
