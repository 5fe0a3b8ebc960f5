// The identity stage between the collection filter and the encoder: resolves each event's DID
// (cached), drops events of filtered services, attaches `eventMetadata`, and hands each
// delivery's kept events to `emit` — at once when everything is cached, later otherwise.
//
// Order: the events of one DID are emitted in the order they came in (firehose order). A
// delivery waits for the previous delivery of each of its DIDs (a per-DID FIFO: `tails`) and
// for its own lookups; deliveries of other DIDs do not wait for it, so a slow DID holds up
// only its own events. Lookups settle within their deadline (never reject), so nothing waits
// longer than that per delivery; what was not resolved in time goes without metadata, counted.
// What waits here is bounded outside: the pipeline's in-flight window holds each waiting
// delivery at its bytes (the upstream frame plus the estimated heap of its decoded records),
// so every DID's queue together stays within --max-in-flight events and --max-in-flight-bytes.

import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { ServiceDecision } from '../filters/service-filter.ts'
import { eventMetadataJson } from '../identity/event-metadata.ts'
import type { Lookups } from '../identity/identity-lookups.ts'
import type { DidCreation, Outcome, Profile, ResolvedIdentity } from '../identity/identity-types.ts'
import type { ResolvedEvent } from '../pipeline/types.ts'

type EnrichResult = 'complete' | 'partial' | 'none'
type UnresolvedDecision = 'pass' | 'drop'

interface IdentityStageObserver {
  /** an event left out by the service filter */
  serviceFiltered(event: AtprotoEvent): void
  /** an event whose DID could not be resolved while a service filter is on */
  serviceUnresolved(decision: UnresolvedDecision): void
  /** per event with a DID while enrichment is on */
  enriched(result: EnrichResult): void
}

export interface IdentityStageOptions {
  readonly didDocs: Lookups<'did_doc'>
  /** present when enrichment is on */
  readonly auditLogs?: Lookups<'audit_log'>
  /** present when enrichment is on and an API host is configured */
  readonly profiles?: Lookups<'profile'>
  readonly enrich: boolean
  /** include the DID document in eventMetadata (default true) */
  readonly withDocument?: boolean
  /** host → keep/skip; undefined: no service filter */
  readonly serviceFilter?: (host: string | undefined) => ServiceDecision
  /** stops the lookups' HTTP client (default: nothing to stop) */
  readonly close?: () => Promise<void>
  /** what to do with an event whose DID cannot be resolved: open = keep it, closed = drop it */
  readonly onUnresolved: 'open' | 'closed'
  readonly observer: IdentityStageObserver
  /** emit threw (a bug downstream): the pipeline fails */
  readonly onError: (err: unknown) => void
}

export interface IdentityStage {
  process(events: readonly AtprotoEvent[], emit: (kept: ResolvedEvent[]) => void): void
  /** DIDs with a delivery waiting (for tests and metrics) */
  readonly waitingDids: number
  /** stops the lookups' HTTP client (the pipeline has drained) */
  close(): Promise<void>
}

/** what one DID of a delivery needs; `waits` holds the lookups not answered from the cache */
interface DidLookup {
  readonly did: string
  doc: Outcome<ResolvedIdentity> | undefined
  audit: Outcome<DidCreation> | undefined
  profile: Outcome<Profile> | undefined
  waits: Promise<unknown>[] | undefined
}

const PROFILE_COLLECTION = 'app.bsky.actor.profile'

/** the entry of `did` among a delivery's (one or a few DIDs: a loop beats a Map) */
function lookupOf(lookups: readonly DidLookup[], did: string): DidLookup | undefined {
  for (const l of lookups) if (l.did === did) return l
  return undefined
}

export function createIdentityStage(options: IdentityStageOptions): IdentityStage {
  const { didDocs, auditLogs, profiles, enrich, serviceFilter, observer } = options
  const withDocument = options.withDocument ?? true
  const tails = new Map<string, Promise<void>>()

  /**
   * sets the answer now when the cache has it, else when the lookup settles (a wait of the
   * entry); the hot path (a cache hit) allocates nothing
   */
  const answer = <S extends 'doc' | 'audit' | 'profile'>(
    entry: DidLookup,
    slot: S,
    outcome: DidLookup[S] | Promise<DidLookup[S]>,
  ) => {
    if (!(outcome instanceof Promise)) {
      entry[slot] = outcome
      return
    }
    const wait = outcome.then((o) => {
      entry[slot] = o
    })
    if (entry.waits) entry.waits.push(wait)
    else entry.waits = [wait]
  }

  const lookUp = (did: string): DidLookup => {
    const entry: DidLookup = { did, doc: undefined, audit: undefined, profile: undefined, waits: undefined }
    answer(entry, 'doc', didDocs.get(did))
    if (!enrich) return entry
    if (auditLogs && did.startsWith('did:plc:')) answer(entry, 'audit', auditLogs.get(did))
    if (profiles) answer(entry, 'profile', profiles.get(did))
    return entry
  }

  const resolveOne = (event: AtprotoEvent, l: DidLookup | undefined, kept: ResolvedEvent[]): void => {
    if (event.kind === 'info' || l === undefined) {
      kept.push({ event })
      return
    }
    const identity = l.doc?.ok ? l.doc.value : undefined
    if (serviceFilter) {
      if (!identity) {
        const decision = options.onUnresolved === 'open' ? 'pass' : 'drop'
        observer.serviceUnresolved(decision)
        if (decision === 'drop') {
          observer.serviceFiltered(event)
          return
        }
      } else if (serviceFilter(identity.pdsHost) === 'skip') {
        observer.serviceFiltered(event)
        return
      }
    }
    if (!enrich) {
      kept.push({ event })
      return
    }
    if (!identity) {
      observer.enriched('none')
      kept.push({ event })
      return
    }
    const audit = l.audit?.ok ? l.audit.value : undefined
    const profile = l.profile?.ok ? l.profile.value : undefined
    const complete = (l.audit === undefined || l.audit.ok) && (l.profile === undefined || l.profile.ok)
    observer.enriched(complete ? 'complete' : 'partial')
    kept.push({ event, metadata: eventMetadataJson(identity, audit, profile, event.time, withDocument) })
  }

  const finish = (events: readonly AtprotoEvent[], lookups: readonly DidLookup[]): ResolvedEvent[] => {
    const kept: ResolvedEvent[] = []
    for (const event of events) {
      resolveOne(event, event.kind === 'info' ? undefined : lookupOf(lookups, event.did), kept)
    }
    return kept
  }

  return {
    process(events, emit) {
      // invalidations first, in stream order: this delivery's own lookups see the change
      for (const e of events) {
        if (e.kind === 'identity') didDocs.invalidate(e.did)
        else if (e.kind === 'operation' && e.collection === PROFILE_COLLECTION) profiles?.invalidate(e.did)
      }
      // one entry per DID (a relay frame or a Tap event has one)
      const lookups: DidLookup[] = []
      const waits: Promise<unknown>[] = []
      for (const e of events) {
        if (e.kind === 'info' || lookupOf(lookups, e.did)) continue
        const l = lookUp(e.did)
        lookups.push(l)
        if (l.waits) waits.push(...l.waits)
        const tail = tails.get(e.did)
        if (tail !== undefined) waits.push(tail)
      }
      if (waits.length === 0) {
        emit(finish(events, lookups))
        return
      }
      const done = Promise.all(waits).then(() => {
        try {
          emit(finish(events, lookups))
        } catch (err) {
          options.onError(err)
        }
      })
      for (const { did } of lookups) {
        tails.set(did, done)
        void done.then(() => {
          if (tails.get(did) === done) tails.delete(did)
        })
      }
    },
    get waitingDids() {
      return tails.size
    },
    close: options.close ?? (() => Promise.resolve()),
  }
}
