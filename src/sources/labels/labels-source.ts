// Labels from one or more labelers (`atkafka labels`): each labeler's
// com.atproto.label.subscribeLabels as an event stream of its own (event-stream-source.ts:
// reconnects with backoff, FutureCursor, OutdatedCursor, oversized frames, seq tracking), its
// endpoint (#atproto_labeler service) and signing key (#atproto_label) from its DID document.
// Every label is verified before it is yielded (label-verifier.ts): a refused one goes on
// marked `refused`, counted, for the output to dead-letter. The streams are merged: each runs
// on its own, so one labeler that is down, slow or resolving its key never stalls the others.
//
// The position is one seq per labeler (`{did: seq}`), each the highest at or below which Kafka
// holds everything of that labeler; a labeler new to the position starts at its first label
// (`from: beginning`, cursor 0: labels are state, a consumer wants every label still standing)
// or at its live head (`from: live`).
import { getAtprotoLabelerVerificationMaterial, getLabelerEndpoint } from '@atcute/identity'
import type { Logger } from 'pino'
import type { LabelEvent } from '../../events/atproto-event.ts'
import { createIdentityClient } from '../../identity/identity-client.ts'
import type { Delivery, Source } from '../../pipeline/types.ts'
import type { UpstreamMetrics } from '../../pipeline/upstream-metrics.ts'
import { backoffDelay, pause } from '../backoff.ts'
import type { EventStreamMetrics } from '../event-stream/event-stream-metrics.ts'
import {
  createEventStreamSource,
  type EventStreamConfig,
  type EventStreamSource,
} from '../event-stream/event-stream-source.ts'
import { type Label, parseLabel } from './label.ts'
import { createLabelVerifier, type LabelVerifier } from './label-verifier.ts'
import { type LabelsFrameLimits, labelsStream, SUBSCRIBE_LABELS } from './labels-frame.ts'
import { mergeStreams } from './merge-streams.ts'

/** each labeler's seq: at or below it, Kafka holds all of that labeler's labels */
export type LabelsPosition = Readonly<Record<string, number>>

export interface LabelsSourceConfig extends Omit<EventStreamConfig, 'host'>, LabelsFrameLimits {
  readonly labelers: readonly string[]
  /** one labeler's endpoint, instead of its DID document's #atproto_labeler service; '' for none */
  readonly labelerHost: string
  readonly plcHost: string
  /** least time between two resolutions of a labeler's document caused by a mismatch */
  readonly keyRefreshMs: number
  /** where a labeler without a stored position starts */
  readonly from: 'beginning' | 'live'
  /** deadline of one DID document resolution */
  readonly resolveTimeoutMs: number
}

export type LabelsSource = Source<LabelsPosition> & {
  checkpoint(): LabelsPosition | undefined
  /** per labeler: connected, its safe seq, labels verified and refused (the status page) */
  labelers(): readonly LabelerStatus[]
}

interface LabelerStatus {
  readonly did: string
  readonly endpoint: string | undefined
  readonly connected: boolean
  readonly seq: number | undefined
  readonly verified: number
  readonly refused: number
}

interface Labeler {
  readonly did: string
  endpoint: string | undefined
  stream: EventStreamSource | undefined
  /** the stored position, until its stream has one of its own */
  start: number | undefined
  verified: number
  refused: number
}

const noop = () => {}

/** a service endpoint (https://…, as DID documents name them) as the websocket URL to subscribe at */
function socketUrl(endpoint: string): string {
  return endpoint.replace(/^http(s?):\/\//, 'ws$1://')
}

export function createLabelsSource(
  config: LabelsSourceConfig,
  deps: { metrics: UpstreamMetrics; logger: Logger },
): LabelsSource {
  const { metrics, logger } = deps
  const identity = createIdentityClient({ plcHost: config.plcHost, apiHost: '' })
  const labelers: Labeler[] = config.labelers.map((did) => ({
    did,
    endpoint: undefined,
    stream: undefined,
    start: undefined,
    verified: 0,
    refused: 0,
  }))
  // the seq gauges are per stream: several labelers' seqs in one gauge would mean nothing
  const streamMetrics: UpstreamMetrics & EventStreamMetrics = {
    ...metrics,
    upstreamSeq: noop,
    cursorSeq: noop,
  }

  const resolve = async (did: string) => {
    const { didDocument } = await identity.resolveDid(did, AbortSignal.timeout(config.resolveTimeoutMs))
    return {
      endpoint: getLabelerEndpoint(didDocument),
      key: getAtprotoLabelerVerificationMaterial(didDocument),
    }
  }

  /** the labeler's endpoint, resolved until it is had (backoff between tries), or aborted */
  const endpointOf = async (l: Labeler, signal: AbortSignal): Promise<string | undefined> => {
    if (config.labelerHost) return socketUrl(config.labelerHost)
    for (let attempt = 0; !signal.aborted; attempt++) {
      await pause(backoffDelay(attempt, config.reconnectMinMs, config.reconnectMaxMs), signal)
      try {
        const { endpoint } = await resolve(l.did)
        if (endpoint) return socketUrl(endpoint)
        logger.error(
          { labeler: l.did },
          'the labeler’s DID document names no #atproto_labeler service; trying again',
        )
      } catch (err) {
        metrics.upstreamError('LabelerResolution')
        logger.warn(
          { labeler: l.did, err: (err as Error).message },
          'resolving the labeler failed; trying again',
        )
      }
    }
    return undefined
  }

  /** the label with its verdict: itself when verified, a copy marked refused (counted) otherwise */
  const verified = async (l: Labeler, verifier: LabelVerifier, event: LabelEvent): Promise<LabelEvent> => {
    const verdict = await verifier.verify(parseLabel(event.label) as Label)
    if (verdict.ok) {
      l.verified++
      return event
    }
    l.refused++
    metrics.eventDropped(verdict.reason)
    logger.warn(
      {
        labeler: l.did,
        seq: event.seq,
        src: event.src,
        uri: event.label.uri,
        reason: verdict.reason,
        detail: verdict.detail,
      },
      'label refused; written to the dead-letter topic',
    )
    return { ...event, refused: { reason: verdict.reason, detail: verdict.detail } }
  }

  async function* labelerDeliveries(l: Labeler, signal: AbortSignal): AsyncGenerator<Delivery> {
    const host = await endpointOf(l, signal)
    if (host === undefined) return
    l.endpoint = host
    const verifier = createLabelVerifier({
      labelerDid: l.did,
      resolveKey: async () => (await resolve(l.did)).key,
      minRefreshMs: config.keyRefreshMs,
    })
    const stream = createEventStreamSource(
      { name: `labeler ${l.did}`, method: SUBSCRIBE_LABELS, ...labelsStream(l.did, config) },
      { ...config, host },
      { metrics: streamMetrics, logger: logger.child({ labeler: l.did }) },
    )
    l.stream = stream
    const after = l.start ?? (config.from === 'beginning' ? 0 : undefined)
    for await (const delivery of stream.deliveries(signal, after)) {
      if (!delivery.events.some((e) => e.kind === 'label')) {
        yield delivery
        continue
      }
      const events = []
      for (const e of delivery.events) events.push(e.kind === 'label' ? await verified(l, verifier, e) : e)
      yield { ...delivery, events }
    }
  }

  let last: LabelsPosition | undefined
  const checkpoint = (): LabelsPosition | undefined => {
    const position: Record<string, number> = {}
    for (const l of labelers) {
      const seq = l.stream?.checkpoint() ?? l.start
      if (seq !== undefined) position[l.did] = seq
    }
    const keys = Object.keys(position)
    if (keys.length === 0) return undefined
    // the same object while nothing moved (the cursor saver compares by identity)
    if (last && keys.length === Object.keys(last).length && keys.every((k) => last![k] === position[k]))
      return last
    last = position
    return position
  }

  return {
    deliveries(signal, after) {
      for (const l of labelers) l.start = after?.[l.did]
      return mergeStreams(labelers.map((l) => labelerDeliveries(l, signal)))
    },
    checkpoint,
    get connected() {
      return labelers.some((l) => l.stream?.connected === true)
    },
    labelers: () =>
      labelers.map((l) => ({
        did: l.did,
        endpoint: l.endpoint,
        connected: l.stream?.connected === true,
        seq: l.stream?.checkpoint() ?? l.start,
        verified: l.verified,
        refused: l.refused,
      })),
  }
}
