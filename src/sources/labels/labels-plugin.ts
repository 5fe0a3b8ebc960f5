// The labels source's catalog entry: `atkafka labels`, labelers' labels verified.
import { createHash } from 'node:crypto'
import { ConfigError } from '../../errors.ts'
import type { SourcePlugin, Trait } from '../source-plugin.ts'
import { labelsCursorCodec } from './labels-cursor.ts'
import { labelsOptions } from './labels-options.ts'
import type { LabelsPosition, LabelsSource } from './labels-source.ts'

const traits = ['cursor', 'socket', 'event-stream', 'standby'] as const satisfies readonly Trait[]

/** the deadline of one resolution of a labeler's DID document */
const RESOLVE_TIMEOUT_MS = 10_000

export const labelsSource: SourcePlugin<
  'labels',
  (typeof traits)[number],
  typeof labelsOptions,
  LabelsSource,
  LabelsPosition
> = {
  command: 'labels',
  path: ['labels'],
  summary:
    'subscribe to labelers’ labels (com.atproto.label.subscribeLabels), verify each one’s signature and produce it to Kafka',
  traits,
  options: labelsOptions,
  eventKinds: ['label', 'info'],
  // the labelers' seqs are in the status block (one per labeler); the pipeline's, upstream's and
  // drops' series (invalid_signature, wrong_src) are the shared ones
  metrics: () => ({}),
  upstreamUrl: (config) => config.labelerHost || config.labelers.join(','),
  async open(config, { metrics, logger }) {
    if (config.labelerHost && config.labelers.length !== 1) {
      throw new ConfigError([
        `--labeler-host / ATKAFKA_LABELER_HOST: names one labeler’s endpoint, but --labelers names ${config.labelers.length}`,
      ])
    }
    const { createLabelsSource } = await import('./labels-source.ts')
    return createLabelsSource(
      {
        ...config,
        keyRefreshMs: config.labelerKeyRefreshS * 1000,
        from: config.labelsFrom,
        maxLabels: config.maxLabelsPerFrame,
        maxBodyBytes: config.maxFrameBytes,
        resolveTimeoutMs: RESOLVE_TIMEOUT_MS,
      },
      { metrics, logger: logger.child({ component: 'labels' }) },
    )
  },
  cursor: {
    codec: labelsCursorCodec,
    // one labeler: its DID; several: their number and a digest of the sorted list (ids are short)
    defaultSourceId: (config) =>
      config.labelers.length === 1
        ? `labels:${config.labelers[0]}`
        : `labels:${config.labelers.length}:${createHash('sha256')
            .update([...config.labelers].sort().join(','))
            .digest('hex')
            .slice(0, 16)}`,
  },
  statusPage: {
    title: 'Labelers',
    rows: [
      { label: 'labelers connected', field: 'connected', class: 'mono' },
      { label: 'labels verified', field: 'verified', class: 'n' },
      { label: 'labels refused (dead-letter topic)', field: 'refused', class: 'n' },
      { label: 'saved cursor (sum of the labelers’ seqs)', field: 'savedCursor', class: 'n' },
      { label: 'kept in', field: 'cursorLocation', class: 'mono' },
    ],
  },
  status({ source, cursor }) {
    const labelers = source?.labelers() ?? []
    const connected = `${labelers.filter((l) => l.connected).length} / ${labelers.length}`
    const verified = labelers.reduce((n, l) => n + l.verified, 0)
    const refused = labelers.reduce((n, l) => n + l.refused, 0)
    return {
      block: {
        labelers,
        connected,
        verified,
        refused,
        savedCursor: cursor.saved ?? null,
        cursorLocation: cursor.location,
      },
      progress: { labelers: labelers.length, connected, verified, refused },
    }
  },
}
