// What a source is to the rest of atkafka: one catalog entry (src/sources/catalog.ts) carrying
// everything the program needs to know about it: its command and help line, its own options
// and the traits that decide which shared ones it takes, its default source id and cursor
// codec, the kinds of event it yields, how it opens, and its block of the status page. The
// help, the command line, the config loader, the app and the status report read the entry;
// none of them names a source.
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { OptionTable, ValuesOf } from '../config/option.ts'
import type { SharedConfig, SharedKey } from '../config/schema.ts'
import type { CursorCodec } from '../cursor/cursor-store.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { Source } from '../pipeline/types.ts'
import type { UpstreamMetrics } from '../pipeline/upstream-metrics.ts'
import type { StatusSection } from '../status/status-page.ts'
import type { SourceStatus } from '../status/status-report.ts'

/**
 * What a source is, beyond producing to Kafka (every source takes the `stream` options):
 * `firehose`: its events are the network's accounts (collection and service filters, identity
 * lookups); `cursor`: it resumes from a stored position (the cursor options, exactly-once);
 * `socket`: a websocket upstream (frame limit, idle timeout); `event-stream`: an atproto
 * subscription with a seq cursor (FutureCursor, OutdatedCursor, oversized frames); `standby`:
 * it can run as one of several instances (--standby).
 */
export type Trait = 'firehose' | 'cursor' | 'socket' | 'event-stream' | 'standby'

/** everything a source's command takes: the shared options of its audience and its own */
type SourceConfig<K extends string, T extends Trait, O extends OptionTable> = SharedConfig<
  'all' | 'stream' | K | T
> &
  ValuesOf<O>

/** a resumable source's position: how it is stored, named, and given on the command line */
export interface CursorSpec<C, P> {
  readonly codec: CursorCodec<P>
  /** the cursor's name when --source-id is empty (positions of different upstreams are unrelated) */
  defaultSourceId(config: C): string
  /** a position given on the command line, which wins over the stored one */
  override?(config: C): P | undefined
}

/** what a part's series read back as plain numbers */
export type SnapshotOf<M> = M extends { snapshot(): infer N } ? N : Record<never, never>

/** what the source's status block is built from */
export interface StatusContext<C, S, N, P = unknown> {
  readonly config: C
  /** undefined until the run opened it */
  readonly source: S | undefined
  /** its own series' values (see `metrics`) */
  readonly snapshot: N
  /**
   * where the cursor is kept ('none' without a store), and the last position saved this run,
   * as a number and as itself: with --exactly-once (`transactional`), the position committed
   * with the last transaction, which a restart resumes after and read_committed consumers see
   * up to; the source's own checkpoint also counts broker acks inside the open transaction
   */
  readonly cursor: {
    readonly location: string
    readonly saved: number | undefined
    readonly savedPosition: P | undefined
    readonly transactional: boolean
  }
}

export interface SourcePlugin<
  K extends string,
  T extends Trait,
  O extends OptionTable,
  S extends Source<P>,
  P = never,
  M extends object = Record<never, never>,
> {
  /** the command's name in the code, the config and the status report (e.g. relay) */
  readonly command: K
  /** how it is invoked: ['firehose', 'relay'], ['ozone-events'] */
  readonly path: readonly [string, ...string[]]
  /** its line in `atkafka --help`, and the first of its own --help */
  readonly summary: string
  readonly traits: readonly T[]
  /** its own options, declared in its folder */
  readonly options: O
  /** shared options whose default differs for this source (e.g. the Go original's behaviour in that mode) */
  readonly optionDefaults?: { readonly [key in SharedKey]?: string }
  /** the kinds of event it yields (a format that can write none of them is refused at start) */
  readonly eventKinds: readonly AtprotoEvent['kind'][]
  /** as configured (the status page shows it, cursor records name it) */
  upstreamUrl(config: SourceConfig<K, T, O>): string
  /** its own series and the interface its code reports through (src/metrics/series.ts metricsPart) */
  readonly metrics: (registry: Registry) => M
  /** the source, its module loaded only now; it reports its upstream, drops and its own series */
  open(config: SourceConfig<K, T, O>, deps: { metrics: UpstreamMetrics & M; logger: Logger }): Promise<S>
  /** resumable sources (trait `cursor`) and only they */
  readonly cursor: 'cursor' extends T ? CursorSpec<SourceConfig<K, T, O>, P> : undefined
  /** its section of the status page: a title and rows over the fields of its block */
  readonly statusPage: StatusSection
  /** its block of the status report (under its command) and its fields of the progress line */
  status(context: StatusContext<SourceConfig<K, T, O>, S, SnapshotOf<M>, P>): SourceStatus
}
