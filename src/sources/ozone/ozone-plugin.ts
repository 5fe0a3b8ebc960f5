// ozone-events' catalog entry: `atkafka ozone-events`, a labeler's moderation events.
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { ozoneCursorCodec } from './ozone-cursor.ts'
import { ozoneMetrics } from './ozone-metrics.ts'
import { ozoneOptions } from './ozone-options.ts'
import type { OzonePosition } from './ozone-position.ts'
import type { OzoneSource } from './ozone-source.ts'

// moderation events: their subjects are not firehose accounts to enrich or filter by PDS
const traits = ['cursor'] as const satisfies readonly Trait[]

export const ozoneSource: SourcePlugin<
  'ozone',
  (typeof traits)[number],
  typeof ozoneOptions,
  OzoneSource,
  OzonePosition,
  ReturnType<typeof ozoneMetrics>
> = {
  command: 'ozone',
  // the Go original's command
  path: ['ozone-events'],
  summary:
    'read a labeler’s moderation events from Ozone (queryEvents through the moderator’s PDS) and produce each once to Kafka',
  traits,
  options: ozoneOptions,
  eventKinds: ['moderation'],
  metrics: ozoneMetrics,
  upstreamUrl: (config) => config.ozonePdsHost,
  async open(config, { metrics, logger }) {
    const { createOzoneSource } = await import('./ozone-source.ts')
    return createOzoneSource(
      {
        pdsHost: config.ozonePdsHost,
        identifier: config.ozoneIdentifier,
        password: config.ozonePassword,
        labelerDid: config.ozoneLabelerDid,
        pollIntervalMs: config.ozonePollIntervalMs,
        overlapMs: config.ozoneOverlapMs,
        maxTracked: config.ozoneMaxTracked,
        pageLimit: config.ozonePageLimit,
        requestTimeoutMs: config.ozoneRequestTimeoutMs,
        retryMinMs: config.reconnectMinMs,
        retryMaxMs: config.reconnectMaxMs,
        giveUpAfterMs: config.ozoneGiveUpAfterMs,
        key: config.ozoneKey,
      },
      { metrics, logger: logger.child({ component: 'ozone' }) },
    )
  },
  cursor: {
    codec: ozoneCursorCodec,
    defaultSourceId: (config) => `ozone:${config.ozoneLabelerDid}`,
  },
  statusPage: {
    title: 'Ozone position',
    rows: [
      { label: 'labeler', field: 'labelerDid', class: 'mono' },
      { label: 'last event id acknowledged by Kafka', field: 'lastEventIdAcknowledged', class: 'n' },
      { label: 'last event id committed (--exactly-once)', field: 'lastEventIdCommitted', class: 'n' },
      { label: 'window edge (safe)', field: 'safeCreatedAfter', class: 'mono' },
      { label: 'ids past the edge', field: 'safeSeenIds', class: 'n' },
      { label: 'window edge (saved, epoch ms)', field: 'savedCursor', class: 'mono' },
      { label: 'pages read', field: 'pages', class: 'n' },
      { label: 'events read (with overlap)', field: 'eventsRead', class: 'n' },
      { label: 'window cut short', field: 'windowShortened', class: 'n' },
      { label: 'read pass starts back (s)', field: 'windowSeconds', class: 'n' },
      { label: 'failed calls: transient', field: 'requestFailures.retry', class: 'n' },
      { label: 'failed calls: session renewed', field: 'requestFailures.session', class: 'n' },
      { label: 'failed calls: no answer', field: 'requestFailures.transport', class: 'n' },
      { label: 'kept in', field: 'cursorLocation', class: 'mono' },
    ],
  },
  status({ source, config, cursor, snapshot }) {
    const safe = source?.window?.safe()
    // with --exactly-once the window's safe position counts broker acks inside the open
    // transaction; what read_committed consumers see, and a restart resumes after, is the
    // position committed with the last transaction
    const acknowledged = safe?.last?.id ?? null
    const committed = cursor.transactional ? (cursor.savedPosition?.last?.id ?? null) : null
    const block = {
      labelerDid: source ? config.ozoneLabelerDid : '',
      // every event created before it is in Kafka; null: from the first event
      safeCreatedAfter: safe?.createdAfter ?? null,
      // ids at or after it already in Kafka
      safeSeenIds: safe?.seen.length ?? 0,
      // the newest event in Kafka as consumers see it (committed with --exactly-once): its id
      lastEventId: cursor.transactional ? committed : acknowledged,
      // the newest event the broker acknowledged (with --exactly-once, maybe not committed yet)
      lastEventIdAcknowledged: acknowledged,
      // --exactly-once: the newest event committed (null otherwise)
      lastEventIdCommitted: committed,
      // the window edge last written to the store this run (epoch ms), as relay's savedCursor
      savedCursor: cursor.saved ?? null,
      trackedIds: source?.window?.tracked ?? 0,
      windowShortened: source?.window?.shortened ?? 0,
      pages: source?.counts.pages ?? 0,
      // events read, re-reads of the overlap included
      eventsRead: source?.counts.read ?? 0,
      cursorLocation: cursor.location,
      // from its series (ozone-metrics.ts), as /metrics shows them
      windowSeconds: snapshot.ozoneWindowSeconds ?? null,
      requestFailures: snapshot.ozoneRequestFailures,
    }
    return {
      block,
      progress: {
        createdAfter: block.safeCreatedAfter,
        lastEventId: block.lastEventId,
        trackedIds: block.trackedIds,
      },
    }
  },
}
