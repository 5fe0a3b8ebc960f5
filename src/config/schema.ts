// The options every command shares (by audience, see option.ts): every option's default, help
// and validation, in help order (flag and env names are derived from the keys, see option.ts;
// the seed's ATKAFKA_* names). A command's own options are declared beside its code (a source's
// in its folder, tail's in src/tail/) and brought together with these by src/cli/commands.ts;
// --help and docs/configuration.md are generated from that, so they cannot drift from the code.
import { isIP } from 'node:net'
import * as v from 'valibot'
import { validateCollectionPattern } from '../filters/collection-matcher.ts'
import { validateServicePattern } from '../filters/service-filter.ts'
import { OUTPUT_FORMATS, type OutputFormat } from '../output/formats.ts'
import { HEADER_NAMES, type HeaderName } from '../output/record-header-names.ts'
import { parseTopicRoutes, type TopicRoutes } from '../output/topic-routes.ts'
import {
  bool,
  httpUrl,
  int,
  intOrBrokerDefault,
  list,
  listenAddress,
  listOf,
  matching,
  oneOf,
  section,
  text,
  topicName,
  type ValuesFor,
} from './option.ts'

const collectionPatterns = listOf(validateCollectionPattern)

/** --record-headers: all, none, or the names of the headers to write */
const headerNames = v.pipe(
  listOf((n) =>
    n === 'all' || n === 'none' || (HEADER_NAMES as readonly string[]).includes(n)
      ? undefined
      : `expected all, none or header names (${HEADER_NAMES.join(', ')})`,
  ),
  v.check(
    (names) => names.length === 1 || !names.some((n) => n === 'all' || n === 'none'),
    'all and none stand alone',
  ),
  v.transform((names): readonly HeaderName[] | 'all' =>
    names.length === 0 || names[0] === 'all' ? 'all' : names[0] === 'none' ? [] : (names as HeaderName[]),
  ),
)

/** --topic-routes: every problem of the spec at once; an empty spec routes nothing */
const topicRoutes = v.pipe(
  list,
  v.check(
    (entries) => parseTopicRoutes(entries).problems.length === 0,
    (issue) => parseTopicRoutes(issue.input as string[]).problems.join('; '),
  ),
  v.transform((entries): TopicRoutes | undefined =>
    entries.length === 0 ? undefined : parseTopicRoutes(entries).routes,
  ),
)
const servicePatterns = listOf(validateServicePattern)

/** --dns-servers: `ip`, `ip:port` or `[ipv6]:port`, as node:dns takes them */
const dnsServers = listOf((server) => {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(server) ?? /^([^:]+):(\d{1,5})$/.exec(server)
  const [host, port] = m ? [m[1]!, Number(m[2])] : [server, 53]
  return isIP(host) !== 0 && port > 0 && port < 65536
    ? undefined
    : `${server}: expected ip, ip:port or [ipv6]:port`
})

/** --dev-handle-origins: `.name.test=http://host:port`, each suffix under the reserved .test TLD */
const devHandleOrigins = v.pipe(
  listOf((entry) => {
    const at = entry.indexOf('=')
    const suffix = entry.slice(0, at)
    const origin = URL.parse(entry.slice(at + 1))
    if (at < 0 || !/^(\.[a-z0-9-]+)*\.test$/.test(suffix))
      return `${entry}: expected .<name>.test=<origin> (a suffix under .test)`
    if (!origin || !/^https?:$/.test(origin.protocol) || origin.pathname !== '/')
      return `${entry}: the origin must be http(s)://host[:port]`
    return undefined
  }),
  v.transform(
    (entries): Readonly<Record<string, string>> =>
      Object.fromEntries(
        entries.map((e) => [e.slice(0, e.indexOf('=')), new URL(e.slice(e.indexOf('=') + 1)).origin]),
      ),
  ),
)

export const sharedOptions = {
  ...section('Kafka', ['all'], {
    bootstrapServers: {
      schema: listOf((s) => (/^[^\s:,]+:\d{1,5}$/.test(s) ? undefined : 'expected host:port')),
      required: true,
      help: 'Kafka bootstrap servers, comma-separated host:port',
    },
    outputTopic: {
      schema: topicName,
      default: 'atproto-events',
      help: 'topic the events are produced to (and `tail` reads); created at start if missing',
    },
    deadLetterTopic: {
      schema: matching(/^([a-zA-Z0-9._-]{1,249})?$/, 'expected a Kafka topic name'),
      default: '',
      audience: ['stream'],
      help: 'topic for messages the broker refuses for good (e.g. too large), and for labels that fail verification (labels), wrapped in JSON with the reason; default <output-topic>.dlq',
    },
    topicPartitions: {
      schema: intOrBrokerDefault(100_000),
      default: '16',
      audience: ['stream', 'backfill-work'],
      help: 'partitions of the output topic (and routed topics) when atkafka creates it (-1: the broker default)',
    },
    topicReplicationFactor: {
      schema: intOrBrokerDefault(32),
      default: '-1',
      audience: ['stream', 'backfill-work'],
      help: 'replication factor when atkafka creates a topic (-1: the broker default.replication.factor)',
    },
    topicConfig: {
      schema: v.pipe(
        listOf((p) => (/^[a-z0-9.]+=[^=]*$/.test(p) ? undefined : 'expected name=value pairs')),
        v.transform((pairs) => pairs.map((p) => p.split('=') as [string, string])),
      ),
      default: '',
      audience: ['stream', 'backfill-work'],
      help: 'topic configs applied when atkafka creates the output topic (and routed topics), e.g. retention.ms=604800000,min.insync.replicas=2',
    },
    topicRoutes: {
      schema: topicRoutes,
      default: '',
      // tail follows the routed topics; labels: #label (and #info)
      audience: ['firehose', 'tail', 'backfill-work', 'labels'],
      help: 'send events to other topics than --output-topic (comma-separated selector=topic; `tail` follows them all): a collection (`app.bsky.feed.post=posts`) or namespace (`app.bsky.graph.*=graph`; the most specific wins), `*` for every other collection, `#account`, `#identity`, `#sync`, `#info`, `#label` for those events; a collection route’s topic may hold {collection} (`*=atproto.{collection}`: a topic per collection); unrouted events go to --output-topic. Routed topics are created like the output topic',
    },
    topicRoutesMaxTopics: {
      schema: int(1, 100_000),
      default: '100',
      audience: ['firehose'],
      help: 'most topics the {collection} templates of --topic-routes create (collections are upstream input); events of further collections go to --output-topic (counted in atkafka_routed_to_output_total)',
    },
    compression: {
      schema: oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd']),
      default: 'lz4',
      audience: ['stream', 'backfill-work'],
      help: 'producer compression: none, gzip, snappy, lz4 or zstd',
    },
    batchSize: {
      schema: int(1, 100_000),
      default: '2000',
      audience: ['stream'],
      help: 'most messages in one produce request',
    },
    maxRequestBytes: {
      schema: int(64 * 1024, 100 * 1024 * 1024),
      default: '16777216',
      audience: ['stream'],
      help: 'most bytes in one produce request (as the Java producer’s max.request.size; brokers refuse requests past socket.request.max.bytes, 100 MiB by default); a single larger message still goes, alone',
    },
    maxBatchBytes: {
      schema: int(1024, 100 * 1024 * 1024),
      default: '1000000',
      audience: ['stream'],
      help: 'most bytes of one partition in one produce request (as the Java producer’s batch.size; brokers refuse a partition batch past message.max.bytes, 1048588 by default); a larger message goes alone in its batch',
    },
    lingerMs: {
      schema: int(0, 60_000),
      default: '5',
      audience: ['stream'],
      help: 'how long a partial batch waits for more messages before it is sent',
    },
    maxMessageBytes: {
      schema: int(1024, 100_000_000),
      default: '1000000',
      audience: ['stream'],
      help: 'larger messages go to the dead-letter topic (truncated) instead of failing the batch; match the topic max.message.bytes',
    },
    produceRetries: {
      // the idempotent producer turns retries <= 1 into "forever"
      schema: int(2, 1_000_000),
      default: '10',
      audience: ['stream', 'backfill-work'],
      help: 'retries of a failing produce request (with backoff) before the run ends with exit code 1',
    },
    clientId: { schema: matching(/./, 'must not be empty'), default: 'atkafka', help: 'Kafka client id' },
  }),

  ...section('Kafka security', ['all'], {
    saslMechanism: {
      schema: v.pipe(v.string(), v.toUpperCase(), oneOf(['', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])),
      default: '',
      help: 'SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL)',
    },
    saslUsername: { schema: text, default: '', help: 'SASL username' },
    saslPassword: { schema: text, default: '', secret: true, help: 'SASL password' },
    tls: { schema: bool, default: 'false', help: 'connect to the brokers over TLS' },
    tlsCaFile: {
      schema: text,
      default: '',
      help: 'PEM file of the CA(s) that signed the brokers’ certificates (default: the system CAs)',
    },
    tlsCertFile: { schema: text, default: '', help: 'PEM client certificate for mutual TLS' },
    tlsKeyFile: { schema: text, default: '', help: 'PEM private key of the client certificate' },
  }),

  ...section('Upstream', ['stream'], {
    maxInFlight: {
      schema: int(1, 10_000_000),
      default: '20000',
      help: 'events read from the upstream but not yet acknowledged by Kafka; reading pauses at this bound',
    },
    maxInFlightBytes: {
      schema: int(1024 * 1024, 16 * 1024 * 1024 * 1024),
      default: '33554432',
      help: 'bytes read from the upstream but not yet acknowledged by Kafka (encoded records; relay and Tap frames while their events wait for identity lookups); reading pauses at this bound, one delivery always fits',
    },
    maxFrameBytes: {
      schema: int(64 * 1024, 1024 * 1024 * 1024),
      default: '8388608',
      audience: ['socket'],
      help: 'largest upstream websocket message read; a larger one is never read (relay: see --on-oversized-frame; Tap: the run ends). The lexicons allow relay frames of about 2.2 MB',
    },
    onOversizedFrame: {
      schema: oneOf(['skip', 'stop']),
      default: 'skip',
      audience: ['event-stream'],
      help: 'when the relay sends a frame larger than --max-frame-bytes: skip (reconnect one seq further, counted as an oversized_frame drop) or stop (exit 1 naming the cursor and the limit)',
    },
    reconnectMinMs: {
      schema: int(0, 600_000),
      default: '500',
      help: 'first reconnect delay after the upstream socket drops, or first retry delay of a failed Ozone request (doubles each failed attempt, with jitter)',
    },
    reconnectMaxMs: {
      schema: int(0, 3_600_000),
      default: '30000',
      help: 'longest reconnect (or retry) delay',
    },
    idleTimeoutMs: {
      schema: int(0, 3_600_000),
      default: '60000',
      audience: ['socket'],
      help: 'reconnect when the upstream sends nothing (not even a ping answer) for this long; 0 disables',
    },
  }),

  ...section('Cursor', ['cursor'], {
    sourceId: {
      schema: matching(/^[\w.:@/-]{0,200}$/, 'expected letters, digits and ._:@/-'),
      default: '',
      help: 'name of this stream’s cursor (seqs of different relays are unrelated); default relay:<relay host>, tap:<tap host>, ozone:<labeler did>, or labels:<labeler did> (several labelers: labels:<n>:<digest of the list>)',
    },
    cursorStore: {
      schema: oneOf(['kafka', 'file', 'none']),
      default: 'kafka',
      help: 'where the cursor is kept between runs: kafka (a compacted topic), file, or none (relay: start at the live head every time; ozone-events: from the labeler’s first event; Tap keeps one only with --exactly-once, which takes kafka)',
    },
    cursorTopic: {
      schema: topicName,
      default: 'atkafka-cursors',
      help: 'compacted topic holding cursors (one record per source id), created if missing',
    },
    cursorFile: {
      schema: matching(/./, 'must not be empty'),
      default: 'atkafka-cursor.json',
      help: 'cursor file with --cursor-store file (written atomically)',
    },
    cursorSaveIntervalMs: {
      schema: int(50, 3_600_000),
      default: '1000',
      help: 'how often the cursor is saved while it moves (and always on a clean stop)',
    },
    onFutureCursor: {
      audience: ['event-stream'],
      schema: oneOf(['stop', 'live']),
      default: 'stop',
      help: 'when the relay answers FutureCursor (it lost state, or is another relay): stop (exit 1, for a human to decide) or live (forget the cursor, continue from the live head)',
    },
    onOutdatedCursor: {
      audience: ['event-stream'],
      schema: oneOf(['continue', 'stop']),
      default: 'continue',
      help: 'when the relay says OutdatedCursor (events between the cursor and its oldest were lost): continue from what it offers, or stop (exit 1)',
    },
    exactlyOnce: {
      schema: bool,
      default: 'false',
      help: 'transactional producer: each transaction holds a batch of events and the cursor, so a read_committed consumer sees every event once across crashes (the Kafka cursor store; relay, Tap, Jetstream, ozone-events and labels; Tap: acks after the commit, a redelivery skipped)',
    },
    transactionIntervalMs: {
      schema: int(10, 600_000),
      default: '500',
      help: 'with --exactly-once, commit the open transaction (events + cursor) at least this often; read_committed consumers see events this much later',
    },
    transactionMaxEvents: {
      schema: int(1, 10_000_000),
      default: '20000',
      help: 'with --exactly-once, commit the open transaction once it holds this many messages',
    },
    standby: {
      audience: ['standby'],
      schema: bool,
      default: 'false',
      help: 'run as one of several instances with the same --source-id: one writes, the others wait (ready on /readyz) and take over when it dies; a writer that lost the role exits 75 at once (Kafka cursor store; with --exactly-once Kafka also fences a paused writer)',
    },
    standbySessionTimeoutMs: {
      audience: ['standby'],
      schema: int(1000, 3_600_000),
      default: '10000',
      help: 'with --standby, how long a silent writer keeps its role before a standby takes over (the broker allows 6000 to 300000 by default)',
    },
  }),

  ...section('Filters', ['firehose'], {
    matchedCollections: {
      schema: collectionPatterns,
      default: '',
      aliases: ['watched-collections'],
      env: ['ATKAFKA_WATCHED_COLLECTIONS'],
      audience: ['firehose', 'backfill-work'],
      help: 'only record operations in these collections are produced (comma-separated; a name matches itself and every NSID under it, `app.bsky.*` and `app.bsky` alike; `*` matches all); account, identity and sync events always are',
    },
    ignoredCollections: {
      schema: collectionPatterns,
      default: '',
      audience: ['firehose', 'backfill-work'],
      help: 'record operations in these collections are not produced (same syntax as --matched-collections)',
    },
    matchedServices: {
      schema: servicePatterns,
      default: '',
      aliases: ['watched-services'],
      env: ['ATKAFKA_WATCHED_SERVICES'],
      help: 'only events of accounts hosted on these PDS hosts are produced (comma-separated; a host matches itself and its subdomains, `*.bsky.network` and `bsky.network` alike); resolves every DID (cached)',
    },
    ignoredServices: {
      schema: servicePatterns,
      default: '',
      help: 'events of accounts hosted on these PDS hosts are not produced (same syntax as --matched-services)',
    },
    serviceFilterOnError: {
      schema: oneOf(['open', 'closed']),
      default: 'open',
      help: 'when a DID cannot be resolved in time while a service filter is on: open (produce the event) or closed (leave it out); counted either way in atkafka_service_filter_unresolved_total',
    },
  }),

  ...section('Identity', ['firehose'], {
    eventMetadata: {
      schema: bool,
      default: 'false',
      // (on by default in relay mode: the relay's catalog entry says so, src/sources/relay/)
      help: 'add `eventMetadata` (DID document, pdsHost, handle, didCreatedAt, accountAge, profile) to every event with a DID, from cached lookups (on by default in relay mode, as in the Go original)',
    },
    eventMetadataDidDocument: {
      schema: bool,
      default: 'true',
      help: 'with --event-metadata: include eventMetadata.didDocument (the largest part, ~65% more bytes per event; the Osprey rules in use read handle, pdsHost, didCreatedAt, accountAge and profile)',
    },
    plcHost: {
      schema: httpUrl(),
      default: 'https://plc.directory',
      // labels: where the labelers' documents (endpoint, signing key) come from
      audience: ['firehose', 'backfill-plan', 'labels'],
      help: 'PLC directory that did:plc documents and audit logs are read from (did:web: https://<host>/.well-known/did.json); labels: the labelers’ documents',
    },
    apiHost: {
      schema: httpUrl(true),
      default: '',
      help: 'with --event-metadata: where profiles come from (app.bsky.actor.getProfile), e.g. https://public.api.bsky.app; empty: profile is null',
    },
    identityTimeoutMs: {
      schema: int(1, 600_000),
      default: '3000',
      help: 'deadline of one lookup (waiting for the rate limit included); an event whose DID is not resolved by then goes on without metadata (counted)',
    },
    plcRateLimit: {
      schema: int(0, 1_000_000),
      default: '200',
      help: 'most requests a second to the PLC directory (and, separately, to did:web hosts); 0: unlimited',
    },
    apiRateLimit: {
      schema: int(0, 1_000_000),
      default: '200',
      help: 'most requests a second to the API host; 0: unlimited',
    },
    didCacheSize: {
      schema: int(1, 100_000_000),
      default: '100000',
      help: 'DID documents kept (least recently used evicted first); #identity events invalidate an entry',
    },
    didCacheTtlS: {
      schema: int(1, 31_536_000),
      default: '172800',
      help: 'seconds a DID document is kept',
    },
    auditLogCacheSize: {
      schema: int(1, 100_000_000),
      default: '100000',
      help: 'DID creation times (PLC audit log) kept',
    },
    auditLogCacheTtlS: {
      schema: int(1, 31_536_000),
      default: '172800',
      help: 'seconds a DID creation time is kept (it never changes; the TTL only bounds memory churn)',
    },
    profileCacheSize: {
      schema: int(1, 100_000_000),
      default: '100000',
      help: 'profiles kept; an app.bsky.actor.profile write invalidates an entry',
    },
    profileCacheTtlS: {
      schema: int(1, 31_536_000),
      default: '600',
      help: 'seconds a profile is kept (its counts go stale within this)',
    },
    verifyHandles: {
      schema: bool,
      default: 'true',
      help: 'with --event-metadata: eventMetadata.handle is the handle the DID document claims only when that handle names the DID back (DNS TXT `_atproto.<handle>` = `did=<did>`, or `https://<handle>/.well-known/atproto-did`), else `handle.invalid`, as the Go original; false: the claim, unverified',
    },
    dnsServers: {
      schema: dnsServers,
      default: '',
      help: "DNS servers the handles' TXT records are asked of (`ip`, `ip:port`, `[ipv6]:port`, comma-separated); empty: the system's resolvers",
    },
    handleCacheTtlS: {
      schema: int(1, 31_536_000),
      default: '3600',
      help: "seconds a handle's resolution (the DID it names, or none) is kept; an #identity event naming the handle drops it (as many handles are kept as DID documents)",
    },
    handleConcurrency: {
      schema: int(1, 10_000),
      default: '32',
      help: 'most handle resolutions (DNS + HTTPS) under way at once; the others wait within their deadline',
    },
    devHandleOrigins: {
      schema: devHandleOrigins,
      default: '',
      help: "a local test network only: `.<name>.test=http://host:port` pairs; a handle under such a suffix is checked at that origin's `/.well-known/atproto-did` (Host: the handle) instead of https://<handle>. `.test` handles are otherwise never valid (a TLD the handle spec reserves)",
    },
  }),

  ...section('Output', ['stream', 'backfill-work'], {
    format: {
      schema: oneOf(OUTPUT_FORMATS),
      default: 'standard',
      help: 'message value format: standard (the Go original’s JSON), osprey (same as --osprey-compatible) or jetstream (what Jetstream v1’s /subscribe sends: commit, identity and account events only)',
    },
    recordHeaders: {
      schema: headerNames,
      default: 'all',
      help: `Kafka headers on every record, so consumers filter without parsing values: all (${HEADER_NAMES.join(', ')}; each as far as the event has it), none, or the names of those to write (each costs the Kafka client ~0.3 us per record)`,
    },
    ospreyCompatible: {
      schema: bool,
      default: 'false',
      help: 'wrap each event in the Osprey action envelope (for Osprey’s Kafka worker input)',
    },
    ospreyWorkerId: {
      schema: int(0, 1023),
      default: '0',
      help: 'worker id (0-1023) in the Snowflake action_id; give each atkafka instance writing to one Osprey its own',
    },
    ospreyActionId: {
      schema: oneOf(['snowflake', 'event']),
      default: 'snowflake',
      help: 'Osprey action_id: snowflake (a new id per message, from the clock and --osprey-worker-id) or event (derived from the event: its own time and relay seq + op index or Tap id, so an event produced again after a crash keeps its id; unique per source, see docs/osprey.md)',
    },
  }),

  ...section('Operations', ['stream'], {
    metricsAddress: {
      schema: listenAddress,
      default: '0.0.0.0:2112',
      aliases: ['metrics-listen-address'],
      env: ['METRICS_LISTEN_ADDRESS'],
      audience: ['stream', 'backfill-work'],
      help: 'where /metrics, /healthz, /readyz and the status page (/, /status.json) are served ([host]:port)',
    },
    logLevel: {
      schema: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
      default: 'info',
      audience: ['all'],
      help: 'trace, debug, info, warn, error or fatal',
    },
    progressIntervalMs: {
      schema: v.pipe(
        int(0, 86_400_000),
        v.check((n) => n === 0 || n >= 100, 'must be 0 (off) or at least 100'),
      ),
      default: '10000',
      help: 'how often an info line "progress" logs events/s since the previous line, totals, lag, upstream seq and cursor (relay) or acks (Tap), in flight; 0 disables',
    },
    shutdownTimeoutMs: {
      schema: int(0, 600_000),
      default: '10000',
      audience: ['stream', 'backfill-work'],
      help: 'on SIGTERM/SIGINT, how long in-flight events may take to reach Kafka before the process exits anyway',
    },
  }),
} as const

/** the shared options (no command's own): what a command takes follows its audience */
export type SharedOptions = typeof sharedOptions
export type SharedKey = keyof SharedOptions

/** resolved once when the config loads, so every component reads the same */
export interface Derived {
  /** exactly-once: stable per source id, so a restarted or standby instance fences the old one */
  readonly transactionalId: string
  /** --format, or osprey with --osprey-compatible */
  readonly outputFormat: OutputFormat
}

/**
 * What a command of audiences `A` sees of the shared options, with deadLetterTopic and sourceId
 * defaulted and what is derived from them.
 */
export type SharedConfig<A extends string> = ValuesFor<SharedOptions, A> & Derived

/**
 * What code that runs any source sees (the app): the options every source takes, and those of
 * the traits a source may have, each maybe absent (undefined when the running source lacks the trait)
 */
export type Config = SharedConfig<'all' | 'stream'> &
  Partial<Omit<ValuesFor<SharedOptions, string>, keyof SharedConfig<'all' | 'stream'>>>

/**
 * the option values → the loaded values with the defaults that depend on other options;
 * `defaultSourceId`: the cursor's name when --source-id is empty (the source's, from its
 * catalog entry: positions of different upstreams are unrelated)
 */
export function derive<V extends Record<string, unknown>>(
  values: V,
  defaultSourceId: ((values: V) => string) | undefined,
): V & Derived {
  const given = values as { sourceId?: string; deadLetterTopic?: string; outputTopic?: string }
  const sourceId = given.sourceId || (defaultSourceId?.(values) ?? '')
  const format = values as { ospreyCompatible?: boolean; format?: OutputFormat }
  return {
    ...values,
    deadLetterTopic: given.deadLetterTopic || `${given.outputTopic}.dlq`,
    sourceId,
    transactionalId: `atkafka:${sourceId}`,
    outputFormat: format.ospreyCompatible ? 'osprey' : (format.format ?? 'standard'),
  }
}
