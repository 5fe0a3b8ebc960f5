// source → filter → identity (optional) → encode → sink → ack. Each delivery is acked only
// after Kafka holds every record made from it; a send that fails ends the run (nothing after
// it is acked). The in-flight window bounds what is read but not yet acknowledged, in events
// and in bytes, including events waiting for an identity lookup: those are counted at the
// delivery's bytes (what holding its decoded events costs), records at their encoded bytes.
import type { Logger } from 'pino'
import { ospreyActionName } from '../events/action-name.ts'
import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { RawJson } from '../events/raw-json.ts'
import type { InFlightWindow } from './in-flight-window.ts'
import type { PipelineMetrics } from './pipeline-metrics.ts'
import { type OutboundRecord, type ResolvedEvent, recordBytes, type Sink, type Source } from './types.ts'

/** resolves DIDs, filters services, attaches metadata; emits in per-DID order (src/enrich) */
interface IdentityPort {
  process(events: readonly AtprotoEvent[], emit: (kept: ResolvedEvent[]) => void): void
}

export interface PipelineStages {
  readonly filter: (event: AtprotoEvent) => boolean
  readonly identity?: IdentityPort
  readonly encode: (event: AtprotoEvent, metadata?: RawJson) => OutboundRecord
  readonly sink: Sink
  readonly window: InFlightWindow
  readonly metrics: PipelineMetrics
  readonly logger: Logger
}

/**
 * Runs until the signal aborts (then drains what is in flight) or a send fails (then throws).
 * A resumable source starts strictly after `after`.
 */
export async function runPipeline<P>(
  source: Source<P>,
  stages: PipelineStages,
  signal: AbortSignal,
  after?: P,
): Promise<void> {
  const { filter, identity, encode, sink, window, metrics } = stages
  const failed = new AbortController()
  let failure: unknown
  const fail = (err: unknown) => {
    failure ??= err
    failed.abort()
  }
  const readSignal = AbortSignal.any([signal, failed.signal])

  /** sends the records; `held` events and `heldBytes` were counted in the window until now */
  const dispatch = (
    records: OutboundRecord[],
    latest: string | undefined,
    held: number,
    heldBytes: number,
    ack: () => void,
  ) => {
    const n = records.length
    let bytes = 0
    for (const r of records) bytes += recordBytes(r)
    // the records take the place of what was held (added first: no reader is woken in between)
    window.add(n, bytes)
    if (held > 0 || heldBytes > 0) window.release(held, heldBytes)
    if (n === 0) {
      ack()
      return
    }
    sink.send(records).then(
      () => {
        window.release(n, bytes)
        if (latest) metrics.eventTime(latest)
        ack()
      },
      (err: unknown) => {
        window.release(n, bytes)
        fail(err)
      },
    )
  }

  const handled = (event: AtprotoEvent) =>
    metrics.eventHandled(ospreyActionName(event), event.kind === 'operation' ? event.collection : '')

  const encodeResolved = (
    kept: readonly ResolvedEvent[],
    held: number,
    heldBytes: number,
    ack: () => void,
  ) => {
    const records: OutboundRecord[] = []
    let latest: string | undefined
    for (const { event, metadata } of kept) {
      handled(event)
      records.push(encode(event, metadata))
      latest = event.time
    }
    dispatch(records, latest, held, heldBytes, ack)
  }

  try {
    for await (const delivery of source.deliveries(readSignal, after)) {
      // keep only the ack: the delivery's events hold their whole upstream frame in memory
      const { ack } = delivery
      if (identity) {
        const kept: AtprotoEvent[] = []
        for (const event of delivery.events) {
          if (filter(event)) kept.push(event)
          else metrics.eventFiltered(event.kind)
        }
        if (kept.length === 0) {
          ack()
          continue
        }
        const held = kept.length
        const heldBytes = delivery.bytes ?? 0
        window.add(held, heldBytes)
        identity.process(kept, (resolved) => encodeResolved(resolved, held, heldBytes, ack))
      } else {
        const records: OutboundRecord[] = []
        let latest: string | undefined
        for (const event of delivery.events) {
          if (!filter(event)) {
            metrics.eventFiltered(event.kind)
            continue
          }
          handled(event)
          records.push(encode(event))
          latest = event.time
        }
        if (records.length === 0) {
          ack()
          continue
        }
        dispatch(records, latest, 0, 0, ack)
      }
      if (window.full) await window.room()
      if (readSignal.aborted) break
    }
  } catch (err) {
    fail(err)
  }
  await window.drained()
  if (failure !== undefined) throw failure
}
