// The one configuration schema: every option's flag, env names (the seed's ATKAFKA_* names
// first), default, description and validation. --help and docs/configuration.md are
// generated from it, so they cannot drift from the code.
import { z } from 'zod'
import { validateCollectionPattern } from '../filters/collection-matcher.ts'

/** the commands that stream an upstream into Kafka (`atkafka firehose <command>`) */
export type FirehoseCommand = 'relay' | 'tap'
/** `tail` reads the output topic back and prints it */
export type Command = FirehoseCommand | 'tail'
// the firehose commands (every option below not marked otherwise)
const ALL: readonly Command[] = ['relay', 'tap']
// the Kafka connection, its security and the topic: what `atkafka tail` needs to read
const WITH_TAIL: readonly Command[] = ['relay', 'tap', 'tail']

export interface OptionSpec<T> {
  /** kebab-case flag without the leading dashes */
  readonly flag: string
  /** extra flag names accepted (the Go original's spellings) */
  readonly flagAliases?: readonly string[]
  /** env names, the first is the canonical one */
  readonly env: readonly string[]
  readonly kind: 'string' | 'boolean'
  /** the default as it would be written on the command line; undefined = no default */
  readonly default?: string
  readonly required?: boolean
  readonly description: string
  readonly group: string
  readonly commands: readonly Command[]
  readonly secret?: boolean
  /** parses the raw string (already defaulted); an error message names what is wrong */
  readonly schema: z.ZodType<T, string>
}

const opt = <T>(spec: OptionSpec<T>) => spec

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
)
const bool = z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off', ''] })
const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
const wsUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^wss?:$/.test(new URL(s).protocol), 'expected a ws:// or wss:// URL')
const httpUrl = z
  .string()
  .refine(
    (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
    'expected an http:// or https:// URL',
  )
  .transform((s) => s.replace(/\/+$/, ''))
const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port')
const listenAddress = z
  .string()
  .regex(/^([^\s:]*:)?\d{1,5}$/, 'expected [host]:port or a port number')
  .transform((s) => {
    const i = s.lastIndexOf(':')
    return i < 0
      ? { host: '0.0.0.0', port: Number(s) }
      : { host: s.slice(0, i) || '0.0.0.0', port: Number(s.slice(i + 1)) }
  })

export const options = {
  bootstrapServers: opt({
    flag: 'bootstrap-servers',
    env: ['ATKAFKA_BOOTSTRAP_SERVERS'],
    kind: 'string',
    required: true,
    description: 'Kafka bootstrap servers, comma-separated host:port',
    group: 'Kafka',
    commands: WITH_TAIL,
    schema: list.pipe(z.array(hostPort).min(1, 'at least one host:port')),
  }),
  outputTopic: opt({
    flag: 'output-topic',
    env: ['ATKAFKA_OUTPUT_TOPIC'],
    kind: 'string',
    default: 'atproto-events',
    description: 'topic the events are produced to (and `tail` reads); created at start if missing',
    group: 'Kafka',
    commands: WITH_TAIL,
    schema: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name ([a-zA-Z0-9._-], 1-249 chars)'),
  }),
  deadLetterTopic: opt({
    flag: 'dead-letter-topic',
    env: ['ATKAFKA_DEAD_LETTER_TOPIC'],
    kind: 'string',
    default: '',
    description:
      'topic for messages the broker refuses for good (e.g. too large), wrapped in JSON with the reason; default <output-topic>.dlq',
    group: 'Kafka',
    commands: ALL,
    schema: z.string().regex(/^([a-zA-Z0-9._-]{1,249})?$/, 'expected a Kafka topic name'),
  }),
  topicPartitions: opt({
    flag: 'topic-partitions',
    env: ['ATKAFKA_TOPIC_PARTITIONS'],
    kind: 'string',
    default: '16',
    description: 'partitions of the output topic when atkafka creates it (-1: the broker default)',
    group: 'Kafka',
    commands: ALL,
    schema: int(-1, 100_000).refine((n) => n !== 0, 'must be -1 or positive'),
  }),
  topicReplicationFactor: opt({
    flag: 'topic-replication-factor',
    env: ['ATKAFKA_TOPIC_REPLICATION_FACTOR'],
    kind: 'string',
    default: '-1',
    description:
      'replication factor when atkafka creates a topic (-1: the broker default.replication.factor)',
    group: 'Kafka',
    commands: ALL,
    schema: int(-1, 32).refine((n) => n !== 0, 'must be -1 or positive'),
  }),
  topicConfig: opt({
    flag: 'topic-config',
    env: ['ATKAFKA_TOPIC_CONFIG'],
    kind: 'string',
    default: '',
    description:
      'topic configs applied when atkafka creates the output topic, e.g. retention.ms=604800000,min.insync.replicas=2',
    group: 'Kafka',
    commands: ALL,
    schema: list.pipe(
      z
        .array(z.string().regex(/^[a-z0-9.]+=[^=]*$/, 'expected name=value pairs'))
        .transform((pairs) => pairs.map((p) => p.split('=') as [string, string])),
    ),
  }),
  compression: opt({
    flag: 'compression',
    env: ['ATKAFKA_COMPRESSION'],
    kind: 'string',
    default: 'lz4',
    description: 'producer compression: none, gzip, snappy, lz4 or zstd',
    group: 'Kafka',
    commands: ALL,
    schema: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']),
  }),
  batchSize: opt({
    flag: 'batch-size',
    env: ['ATKAFKA_BATCH_SIZE'],
    kind: 'string',
    default: '2000',
    description: 'most messages in one produce request',
    group: 'Kafka',
    commands: ALL,
    schema: int(1, 100_000),
  }),
  lingerMs: opt({
    flag: 'linger-ms',
    env: ['ATKAFKA_LINGER_MS'],
    kind: 'string',
    default: '5',
    description: 'how long a partial batch waits for more messages before it is sent',
    group: 'Kafka',
    commands: ALL,
    schema: int(0, 60_000),
  }),
  maxMessageBytes: opt({
    flag: 'max-message-bytes',
    env: ['ATKAFKA_MAX_MESSAGE_BYTES'],
    kind: 'string',
    default: '1000000',
    description:
      'larger messages go to the dead-letter topic (truncated) instead of failing the batch; match the topic max.message.bytes',
    group: 'Kafka',
    commands: ALL,
    schema: int(1024, 100_000_000),
  }),
  produceRetries: opt({
    flag: 'produce-retries',
    env: ['ATKAFKA_PRODUCE_RETRIES'],
    kind: 'string',
    default: '10',
    description: 'retries of a failing produce request (with backoff) before the run ends with exit code 1',
    group: 'Kafka',
    commands: ALL,
    schema: int(2, 1_000_000),
  }),
  clientId: opt({
    flag: 'client-id',
    env: ['ATKAFKA_CLIENT_ID'],
    kind: 'string',
    default: 'atkafka',
    description: 'Kafka client id',
    group: 'Kafka',
    commands: WITH_TAIL,
    schema: z.string().min(1),
  }),
  saslMechanism: opt({
    flag: 'sasl-mechanism',
    env: ['ATKAFKA_SASL_MECHANISM'],
    kind: 'string',
    default: '',
    description: 'SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL)',
    group: 'Kafka security',
    commands: WITH_TAIL,
    schema: z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(['', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])),
  }),
  saslUsername: opt({
    flag: 'sasl-username',
    env: ['ATKAFKA_SASL_USERNAME'],
    kind: 'string',
    default: '',
    description: 'SASL username',
    group: 'Kafka security',
    commands: WITH_TAIL,
    schema: z.string(),
  }),
  saslPassword: opt({
    flag: 'sasl-password',
    env: ['ATKAFKA_SASL_PASSWORD'],
    kind: 'string',
    default: '',
    description: 'SASL password',
    group: 'Kafka security',
    commands: WITH_TAIL,
    secret: true,
    schema: z.string(),
  }),
  tls: opt({
    flag: 'tls',
    env: ['ATKAFKA_TLS'],
    kind: 'boolean',
    default: 'false',
    description: 'connect to the brokers over TLS',
    group: 'Kafka security',
    commands: WITH_TAIL,
    schema: bool,
  }),
  tlsCaFile: opt({
    flag: 'tls-ca-file',
    env: ['ATKAFKA_TLS_CA_FILE'],
    kind: 'string',
    default: '',
    description: 'PEM file of the CA(s) that signed the brokers’ certificates (default: the system CAs)',
    group: 'Kafka security',
    commands: WITH_TAIL,
    schema: z.string(),
  }),
  tlsCertFile: opt({
    flag: 'tls-cert-file',
    env: ['ATKAFKA_TLS_CERT_FILE'],
    kind: 'string',
    default: '',
    description: 'PEM client certificate for mutual TLS',
    group: 'Kafka security',
    commands: WITH_TAIL,
    schema: z.string(),
  }),
  tlsKeyFile: opt({
    flag: 'tls-key-file',
    env: ['ATKAFKA_TLS_KEY_FILE'],
    kind: 'string',
    default: '',
    description: 'PEM private key of the client certificate',
    group: 'Kafka security',
    commands: WITH_TAIL,
    schema: z.string(),
  }),

  relayHost: opt({
    flag: 'relay-host',
    env: ['ATKAFKA_RELAY_HOST'],
    kind: 'string',
    default: 'wss://bsky.network',
    description: 'relay (or PDS) to subscribe to; /xrpc/com.atproto.sync.subscribeRepos is appended',
    group: 'Upstream',
    commands: ['relay'],
    schema: wsUrl,
  }),
  cursor: opt({
    flag: 'cursor',
    env: ['ATKAFKA_CURSOR'],
    kind: 'string',
    default: '',
    description:
      'relay seq to resume after, overriding the stored cursor (the relay replays from the next seq; 0 = its whole window); empty: the stored cursor, else the live head',
    group: 'Upstream',
    commands: ['relay'],
    schema: z
      .string()
      .regex(/^(\d{1,16})?$/, 'expected a non-negative integer seq')
      .transform((s) => (s === '' ? undefined : Number(s))),
  }),
  tapHost: opt({
    flag: 'tap-host',
    env: ['ATKAFKA_TAP_HOST'],
    kind: 'string',
    default: 'ws://localhost:2480',
    description: 'Tap to read from; /channel is appended',
    group: 'Upstream',
    commands: ['tap'],
    schema: wsUrl,
  }),
  tapAdminPassword: opt({
    flag: 'tap-admin-password',
    env: ['ATKAFKA_TAP_ADMIN_PASSWORD'],
    kind: 'string',
    default: '',
    description: 'Tap’s TAP_ADMIN_PASSWORD, sent as HTTP Basic auth (user "admin")',
    group: 'Upstream',
    commands: ['tap'],
    secret: true,
    schema: z.string(),
  }),
  disableAcks: opt({
    flag: 'disable-acks',
    env: ['ATKAFKA_DISABLE_ACKS'],
    kind: 'boolean',
    default: 'false',
    description:
      'do not ack Tap events (for Tap run with TAP_DISABLE_ACKS); LOSSY: Tap forgets events as soon as it has written them',
    group: 'Upstream',
    commands: ['tap'],
    schema: bool,
  }),
  sourceId: opt({
    flag: 'source-id',
    env: ['ATKAFKA_SOURCE_ID'],
    kind: 'string',
    default: '',
    description:
      'name of this stream’s cursor (seqs of different relays are unrelated); default relay:<relay host>',
    group: 'Cursor',
    commands: ['relay'],
    schema: z.string().regex(/^[\w.:@/-]{0,200}$/, 'expected letters, digits and ._:@/-'),
  }),
  cursorStore: opt({
    flag: 'cursor-store',
    env: ['ATKAFKA_CURSOR_STORE'],
    kind: 'string',
    default: 'kafka',
    description:
      'where the cursor is kept between runs: kafka (a compacted topic), file, or none (start at the live head every time)',
    group: 'Cursor',
    commands: ['relay'],
    schema: z.enum(['kafka', 'file', 'none']),
  }),
  cursorTopic: opt({
    flag: 'cursor-topic',
    env: ['ATKAFKA_CURSOR_TOPIC'],
    kind: 'string',
    default: 'atkafka-cursors',
    description: 'compacted topic holding cursors (one record per source id), created if missing',
    group: 'Cursor',
    commands: ['relay'],
    schema: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name'),
  }),
  cursorFile: opt({
    flag: 'cursor-file',
    env: ['ATKAFKA_CURSOR_FILE'],
    kind: 'string',
    default: 'atkafka-cursor.json',
    description: 'cursor file with --cursor-store file (written atomically)',
    group: 'Cursor',
    commands: ['relay'],
    schema: z.string().min(1),
  }),
  cursorSaveIntervalMs: opt({
    flag: 'cursor-save-interval-ms',
    env: ['ATKAFKA_CURSOR_SAVE_INTERVAL_MS'],
    kind: 'string',
    default: '1000',
    description: 'how often the cursor is saved while it moves (and always on a clean stop)',
    group: 'Cursor',
    commands: ['relay'],
    schema: int(50, 3_600_000),
  }),
  onFutureCursor: opt({
    flag: 'on-future-cursor',
    env: ['ATKAFKA_ON_FUTURE_CURSOR'],
    kind: 'string',
    default: 'stop',
    description:
      'when the relay answers FutureCursor (it lost state, or is another relay): stop (exit 1, for a human to decide) or live (forget the cursor, continue from the live head)',
    group: 'Cursor',
    commands: ['relay'],
    schema: z.enum(['stop', 'live']),
  }),
  onOutdatedCursor: opt({
    flag: 'on-outdated-cursor',
    env: ['ATKAFKA_ON_OUTDATED_CURSOR'],
    kind: 'string',
    default: 'continue',
    description:
      'when the relay says OutdatedCursor (events between the cursor and its oldest were lost): continue from what it offers, or stop (exit 1)',
    group: 'Cursor',
    commands: ['relay'],
    schema: z.enum(['continue', 'stop']),
  }),
  exactlyOnce: opt({
    flag: 'exactly-once',
    env: ['ATKAFKA_EXACTLY_ONCE'],
    kind: 'boolean',
    default: 'false',
    description:
      'transactional producer: each transaction holds a batch of events and the cursor, so a read_committed consumer sees every event once across crashes (needs --cursor-store kafka; relay only)',
    group: 'Cursor',
    commands: ['relay'],
    schema: bool,
  }),
  transactionIntervalMs: opt({
    flag: 'transaction-interval-ms',
    env: ['ATKAFKA_TRANSACTION_INTERVAL_MS'],
    kind: 'string',
    default: '500',
    description:
      'with --exactly-once, commit the open transaction (events + cursor) at least this often; read_committed consumers see events this much later',
    group: 'Cursor',
    commands: ['relay'],
    schema: int(10, 600_000),
  }),
  transactionMaxEvents: opt({
    flag: 'transaction-max-events',
    env: ['ATKAFKA_TRANSACTION_MAX_EVENTS'],
    kind: 'string',
    default: '20000',
    description: 'with --exactly-once, commit the open transaction once it holds this many messages',
    group: 'Cursor',
    commands: ['relay'],
    schema: int(1, 10_000_000),
  }),
  standby: opt({
    flag: 'standby',
    env: ['ATKAFKA_STANDBY'],
    kind: 'boolean',
    default: 'false',
    description:
      'run as one of several instances with the same --source-id: one writes, the others wait and take over when it dies (Kafka cursor store; zombie writers are fenced only with --exactly-once)',
    group: 'Cursor',
    commands: ['relay'],
    schema: bool,
  }),
  standbySessionTimeoutMs: opt({
    flag: 'standby-session-timeout-ms',
    env: ['ATKAFKA_STANDBY_SESSION_TIMEOUT_MS'],
    kind: 'string',
    default: '10000',
    description:
      'with --standby, how long a silent writer keeps its role before a standby takes over (the broker allows 6000 to 300000 by default)',
    group: 'Cursor',
    commands: ['relay'],
    schema: int(1000, 3_600_000),
  }),
  maxInFlight: opt({
    flag: 'max-in-flight',
    env: ['ATKAFKA_MAX_IN_FLIGHT'],
    kind: 'string',
    default: '20000',
    description:
      'events read from the upstream but not yet acknowledged by Kafka; reading pauses at this bound',
    group: 'Upstream',
    commands: ALL,
    schema: int(1, 10_000_000),
  }),
  reconnectMinMs: opt({
    flag: 'reconnect-min-ms',
    env: ['ATKAFKA_RECONNECT_MIN_MS'],
    kind: 'string',
    default: '500',
    description:
      'first reconnect delay after the upstream socket drops (doubles each failed attempt, with jitter)',
    group: 'Upstream',
    commands: ALL,
    schema: int(0, 600_000),
  }),
  reconnectMaxMs: opt({
    flag: 'reconnect-max-ms',
    env: ['ATKAFKA_RECONNECT_MAX_MS'],
    kind: 'string',
    default: '30000',
    description: 'longest reconnect delay',
    group: 'Upstream',
    commands: ALL,
    schema: int(0, 3_600_000),
  }),
  idleTimeoutMs: opt({
    flag: 'idle-timeout-ms',
    env: ['ATKAFKA_IDLE_TIMEOUT_MS'],
    kind: 'string',
    default: '60000',
    description:
      'reconnect when the upstream sends nothing (not even a ping answer) for this long; 0 disables',
    group: 'Upstream',
    commands: ALL,
    schema: int(0, 3_600_000),
  }),

  matchedCollections: opt({
    flag: 'matched-collections',
    flagAliases: ['watched-collections'],
    env: ['ATKAFKA_MATCHED_COLLECTIONS', 'ATKAFKA_WATCHED_COLLECTIONS'],
    kind: 'string',
    default: '',
    description:
      'only record operations in these collections are produced (comma-separated; a name matches itself and every NSID under it, `app.bsky.*` and `app.bsky` alike; `*` matches all); account, identity and sync events always are',
    group: 'Filters',
    commands: ALL,
    schema: list,
  }),
  ignoredCollections: opt({
    flag: 'ignored-collections',
    env: ['ATKAFKA_IGNORED_COLLECTIONS'],
    kind: 'string',
    default: '',
    description:
      'record operations in these collections are not produced (same syntax as --matched-collections)',
    group: 'Filters',
    commands: ALL,
    schema: list,
  }),

  matchedServices: opt({
    flag: 'matched-services',
    flagAliases: ['watched-services'],
    env: ['ATKAFKA_MATCHED_SERVICES', 'ATKAFKA_WATCHED_SERVICES'],
    kind: 'string',
    default: '',
    description:
      'only events of accounts hosted on these PDS hosts are produced (comma-separated; a host matches itself and its subdomains, `*.bsky.network` and `bsky.network` alike); resolves every DID (cached)',
    group: 'Filters',
    commands: ALL,
    schema: list,
  }),
  ignoredServices: opt({
    flag: 'ignored-services',
    env: ['ATKAFKA_IGNORED_SERVICES'],
    kind: 'string',
    default: '',
    description:
      'events of accounts hosted on these PDS hosts are not produced (same syntax as --matched-services)',
    group: 'Filters',
    commands: ALL,
    schema: list,
  }),
  serviceFilterOnError: opt({
    flag: 'service-filter-on-error',
    env: ['ATKAFKA_SERVICE_FILTER_ON_ERROR'],
    kind: 'string',
    default: 'open',
    description:
      'when a DID cannot be resolved in time while a service filter is on: open (produce the event) or closed (leave it out); counted either way in atkafka_service_filter_unresolved_total',
    group: 'Filters',
    commands: ALL,
    schema: z.enum(['open', 'closed']),
  }),

  eventMetadata: opt({
    flag: 'event-metadata',
    env: ['ATKAFKA_EVENT_METADATA'],
    kind: 'boolean',
    default: 'false',
    description:
      'add `eventMetadata` (DID document, pdsHost, handle, didCreatedAt, accountAge, profile) to every event with a DID, from cached lookups',
    group: 'Identity',
    commands: ALL,
    schema: bool,
  }),
  eventMetadataDidDocument: opt({
    flag: 'event-metadata-did-document',
    env: ['ATKAFKA_EVENT_METADATA_DID_DOCUMENT'],
    kind: 'boolean',
    default: 'true',
    description:
      'with --event-metadata: include eventMetadata.didDocument (the largest part, ~65% more bytes per event; the Osprey rules in use read handle, pdsHost, didCreatedAt, accountAge and profile)',
    group: 'Identity',
    commands: ALL,
    schema: bool,
  }),
  plcHost: opt({
    flag: 'plc-host',
    env: ['ATKAFKA_PLC_HOST'],
    kind: 'string',
    default: 'https://plc.directory',
    description:
      'PLC directory that did:plc documents and audit logs are read from (did:web: https://<host>/.well-known/did.json)',
    group: 'Identity',
    commands: ALL,
    schema: httpUrl,
  }),
  apiHost: opt({
    flag: 'api-host',
    env: ['ATKAFKA_API_HOST'],
    kind: 'string',
    default: '',
    description:
      'with --event-metadata: where profiles come from (app.bsky.actor.getProfile), e.g. https://public.api.bsky.app; empty: profile is null',
    group: 'Identity',
    commands: ALL,
    schema: z.union([z.literal(''), httpUrl]),
  }),
  identityTimeoutMs: opt({
    flag: 'identity-timeout-ms',
    env: ['ATKAFKA_IDENTITY_TIMEOUT_MS'],
    kind: 'string',
    default: '3000',
    description:
      'deadline of one lookup (waiting for the rate limit included); an event whose DID is not resolved by then goes on without metadata (counted)',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 600_000),
  }),
  plcRateLimit: opt({
    flag: 'plc-rate-limit',
    env: ['ATKAFKA_PLC_RATE_LIMIT'],
    kind: 'string',
    default: '200',
    description:
      'most requests a second to the PLC directory (and, separately, to did:web hosts); 0: unlimited',
    group: 'Identity',
    commands: ALL,
    schema: int(0, 1_000_000),
  }),
  apiRateLimit: opt({
    flag: 'api-rate-limit',
    env: ['ATKAFKA_API_RATE_LIMIT'],
    kind: 'string',
    default: '200',
    description: 'most requests a second to the API host; 0: unlimited',
    group: 'Identity',
    commands: ALL,
    schema: int(0, 1_000_000),
  }),
  didCacheSize: opt({
    flag: 'did-cache-size',
    env: ['ATKAFKA_DID_CACHE_SIZE'],
    kind: 'string',
    default: '100000',
    description:
      'DID documents kept (least recently used evicted first); #identity events invalidate an entry',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 100_000_000),
  }),
  didCacheTtlS: opt({
    flag: 'did-cache-ttl-s',
    env: ['ATKAFKA_DID_CACHE_TTL_S'],
    kind: 'string',
    default: '172800',
    description: 'seconds a DID document is kept',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 31_536_000),
  }),
  auditLogCacheSize: opt({
    flag: 'audit-log-cache-size',
    env: ['ATKAFKA_AUDIT_LOG_CACHE_SIZE'],
    kind: 'string',
    default: '100000',
    description: 'DID creation times (PLC audit log) kept',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 100_000_000),
  }),
  auditLogCacheTtlS: opt({
    flag: 'audit-log-cache-ttl-s',
    env: ['ATKAFKA_AUDIT_LOG_CACHE_TTL_S'],
    kind: 'string',
    default: '172800',
    description: 'seconds a DID creation time is kept (it never changes; the TTL only bounds memory churn)',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 31_536_000),
  }),
  profileCacheSize: opt({
    flag: 'profile-cache-size',
    env: ['ATKAFKA_PROFILE_CACHE_SIZE'],
    kind: 'string',
    default: '100000',
    description: 'profiles kept; an app.bsky.actor.profile write invalidates an entry',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 100_000_000),
  }),
  profileCacheTtlS: opt({
    flag: 'profile-cache-ttl-s',
    env: ['ATKAFKA_PROFILE_CACHE_TTL_S'],
    kind: 'string',
    default: '600',
    description: 'seconds a profile is kept (its counts go stale within this)',
    group: 'Identity',
    commands: ALL,
    schema: int(1, 31_536_000),
  }),

  ospreyCompatible: opt({
    flag: 'osprey-compatible',
    env: ['ATKAFKA_OSPREY_COMPATIBLE'],
    kind: 'boolean',
    default: 'false',
    description: 'wrap each event in the Osprey action envelope (for Osprey’s Kafka worker input)',
    group: 'Output',
    commands: ALL,
    schema: bool,
  }),
  ospreyWorkerId: opt({
    flag: 'osprey-worker-id',
    env: ['ATKAFKA_OSPREY_WORKER_ID'],
    kind: 'string',
    default: '0',
    description:
      'worker id (0-1023) in the Snowflake action_id; give each atkafka instance writing to one Osprey its own',
    group: 'Output',
    commands: ALL,
    schema: int(0, 1023),
  }),

  metricsAddress: opt({
    flag: 'metrics-address',
    flagAliases: ['metrics-listen-address'],
    env: ['ATKAFKA_METRICS_ADDRESS', 'METRICS_LISTEN_ADDRESS'],
    kind: 'string',
    default: '0.0.0.0:2112',
    description:
      'where /metrics, /healthz, /readyz and the status page (/, /status.json) are served ([host]:port)',
    group: 'Operations',
    commands: ALL,
    schema: listenAddress,
  }),
  logLevel: opt({
    flag: 'log-level',
    env: ['ATKAFKA_LOG_LEVEL'],
    kind: 'string',
    default: 'info',
    description: 'trace, debug, info, warn, error or fatal',
    group: 'Operations',
    commands: WITH_TAIL,
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
  }),
  progressIntervalMs: opt({
    flag: 'progress-interval-ms',
    env: ['ATKAFKA_PROGRESS_INTERVAL_MS'],
    kind: 'string',
    default: '10000',
    description:
      'how often an info line "progress" logs events/s since the previous line, totals, lag, upstream seq and cursor (relay) or acks (Tap), in flight; 0 disables',
    group: 'Operations',
    commands: ALL,
    schema: int(0, 86_400_000).refine((n) => n === 0 || n >= 100, 'must be 0 (off) or at least 100'),
  }),
  shutdownTimeoutMs: opt({
    flag: 'shutdown-timeout-ms',
    env: ['ATKAFKA_SHUTDOWN_TIMEOUT_MS'],
    kind: 'string',
    default: '10000',
    description:
      'on SIGTERM/SIGINT, how long in-flight events may take to reach Kafka before the process exits anyway',
    group: 'Operations',
    commands: ALL,
    schema: int(0, 600_000),
  }),
  tailFromBeginning: opt({
    flag: 'from-beginning',
    env: ['ATKAFKA_TAIL_FROM_BEGINNING'],
    kind: 'boolean',
    default: 'false',
    description:
      'start at the oldest message of every partition instead of at the messages produced from now on',
    group: 'Tail',
    commands: ['tail'],
    schema: bool,
  }),
  tailJson: opt({
    flag: 'json',
    env: ['ATKAFKA_TAIL_JSON'],
    kind: 'boolean',
    default: 'false',
    description:
      'print each message value as produced, one JSON line per message, instead of one readable line',
    group: 'Tail',
    commands: ['tail'],
    schema: bool,
  }),
  tailDid: opt({
    flag: 'did',
    env: ['ATKAFKA_TAIL_DID'],
    kind: 'string',
    default: '',
    description: 'only events of these DIDs (comma-separated)',
    group: 'Tail',
    commands: ['tail'],
    schema: list.pipe(z.array(z.string().regex(/^did:[a-z]+:\S+$/, 'expected a DID such as did:plc:…'))),
  }),
  tailCollection: opt({
    flag: 'collection',
    env: ['ATKAFKA_TAIL_COLLECTION'],
    kind: 'string',
    default: '',
    description:
      'only record operations in these collections (comma-separated, same patterns as --matched-collections: `app.bsky.*`, `app.bsky.feed.post`, `*`)',
    group: 'Tail',
    commands: ['tail'],
    schema: list.superRefine((patterns, ctx) => {
      for (const p of patterns) {
        const problem = validateCollectionPattern(p)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }
    }),
  }),
  tailAction: opt({
    flag: 'action',
    env: ['ATKAFKA_TAIL_ACTION'],
    kind: 'string',
    default: '',
    description:
      'only these kinds of event (comma-separated): create, update, delete, account, identity, sync, info',
    group: 'Tail',
    commands: ['tail'],
    schema: list.pipe(z.array(z.enum(['create', 'update', 'delete', 'account', 'identity', 'sync', 'info']))),
  }),
  tailLimit: opt({
    flag: 'limit',
    env: ['ATKAFKA_TAIL_LIMIT'],
    kind: 'string',
    default: '0',
    description: 'exit after printing this many events (0: run until interrupted)',
    group: 'Tail',
    commands: ['tail'],
    schema: int(0, Number.MAX_SAFE_INTEGER),
  }),
} as const satisfies Record<string, OptionSpec<unknown>>

export type OptionKey = keyof typeof options
export type Config = { readonly [K in OptionKey]: z.output<(typeof options)[K]['schema']> }
