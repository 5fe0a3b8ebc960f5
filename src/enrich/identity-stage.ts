// The identity stage between the collection filter and the encoder: resolves each event's DID
// (cached), drops events of filtered services, attaches `eventMetadata`, and hands each
// delivery's kept events to `emit` — at once when everything is cached, later otherwise.
//
// Order: the events of one DID are emitted in the order they came in (firehose order). A
// delivery waits for the previous delivery of each of its DIDs (a per-DID FIFO: `tails`) and
// for its own lookups; deliveries of other DIDs do not wait for it, so a slow DID holds up
// only its own events. Lookups settle within their deadline (never reject), so nothing waits
// longer than that per delivery; what was not resolved in time goes without metadata, counted.
// Handles: with `handles`, the handle a DID document claims is written only when its domain
// names that DID back (DNS TXT or HTTPS well-known, the handle spec), else `handle.invalid`, as
// the Go original. Its lookup starts once the document is known, and the delivery waits for it
// only as long as its own deadline leaves (measured from the delivery's arrival, or from the
// moment the lookups' client got ready): an event never waits longer than one deadline for a
// handle. An answer that comes later is cached for the next events; this one is written with
// `handle.invalid` (counted as a timeout).
// What waits here is bounded outside: the pipeline's in-flight window holds each waiting
// delivery at its bytes (the upstream frame plus the estimated heap of its decoded records),
// so every DID's queue together stays within --max-in-flight events and --max-in-flight-bytes.

import type { AtprotoEvent } from '../events/atproto-event.ts'
import type { ServiceDecision } from '../filters/service-filter.ts'
import { eventMetadataJson } from '../identity/event-metadata.ts'
import type { Lookups } from '../identity/identity-lookups.ts'
import type {
  DidCreation,
  HandleResolution,
  HandleVerdict,
  Outcome,
  Profile,
  ResolvedIdentity,
} from '../identity/identity-types.ts'
import type { ResolvedEvent } from '../pipeline/types.ts'

type EnrichResult = 'complete' | 'partial' | 'none'
/** what eventMetadata.handle says of a handle that is not verified (the Go original's value) */
const INVALID_HANDLE = 'handle.invalid'
type UnresolvedDecision = 'pass' | 'drop'

interface IdentityStageObserver {
  /** an event left out by the service filter */
  serviceFiltered(event: AtprotoEvent): void
  /** an event whose DID could not be resolved while a service filter is on */
  serviceUnresolved(decision: UnresolvedDecision): void
  /** per event with a DID while enrichment is on */
  enriched(result: EnrichResult): void
  /** per enriched event whose document claims a handle, while handles are verified */
  handleVerified?(verdict: HandleVerdict): void
}

export interface IdentityStageOptions {
  readonly didDocs: Lookups<'did_doc'>
  /** present when enrichment is on */
  readonly auditLogs?: Lookups<'audit_log'>
  /** present when enrichment is on and an API host is configured */
  readonly profiles?: Lookups<'profile'>
  /** present when enrichment is on and handles are verified (keyed by the lowercase handle) */
  readonly handles?: Lookups<'handle'>
  /** the identity deadline (ms): the longest a delivery waits, handle verification included */
  readonly timeoutMs?: number
  /** when the lookups' client got ready (performance.now(); 0: from the start); deadlines start there */
  readonly clientReadyAt?: () => number
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
  /** the claimed handle's resolution; undefined: none claimed, not verifying, or not in time */
  handle: Outcome<HandleResolution> | undefined
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
  const handles = enrich ? options.handles : undefined
  const withDocument = options.withDocument ?? true
  const timeoutMs = options.timeoutMs ?? 3000
  const clientReadyAt = options.clientReadyAt ?? (() => 0)
  const tails = new Map<string, Promise<void>>()
  // each document's twin with `handle: handle.invalid` (its eventMetadata bytes are cached per object)
  const invalidTwins = new WeakMap<ResolvedIdentity, ResolvedIdentity>()

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

  /** the claimed handle's lookup, waited for until `deadline` at most (a promise), or its cached answer */
  const checkHandle = (entry: DidLookup, deadline: number): Promise<void> | undefined => {
    const claim = entry.doc?.ok ? entry.doc.value.handle : undefined
    if (handles === undefined || claim === undefined) return undefined
    const outcome = handles.get(claim.toLowerCase())
    if (!(outcome instanceof Promise)) {
      entry.handle = outcome
      return undefined
    }
    const left = deadline - performance.now()
    if (left <= 0) return undefined
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left)
      timer.unref()
      void outcome.then((o) => {
        clearTimeout(timer)
        entry.handle = o
        resolve()
      })
    })
  }

  const lookUp = (did: string): DidLookup => {
    const entry: DidLookup = {
      did,
      doc: undefined,
      audit: undefined,
      profile: undefined,
      handle: undefined,
      waits: undefined,
    }
    const doc = didDocs.get(did)
    if (!(doc instanceof Promise)) {
      entry.doc = doc
      const wait = checkHandle(entry, performance.now() + timeoutMs)
      if (wait !== undefined) entry.waits = [wait]
    } else {
      const arrived = performance.now()
      const wait = doc.then((o) => {
        entry.doc = o
        return checkHandle(entry, Math.max(arrived, clientReadyAt()) + timeoutMs)
      })
      entry.waits = [wait]
    }
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
    const written = handles === undefined ? identity : verified(identity, l)
    kept.push({ event, metadata: eventMetadataJson(written, audit, profile, event.time, withDocument) })
  }

  /** the document as written: itself when its handle names this DID back, else its invalid twin */
  const verified = (identity: ResolvedIdentity, l: DidLookup): ResolvedIdentity => {
    if (identity.handle === undefined) return identity
    const verdict = verdictOf(l.handle, l.did)
    observer.handleVerified?.(verdict)
    if (verdict === 'valid') return identity
    let twin = invalidTwins.get(identity)
    if (twin === undefined) {
      twin = { ...identity, handle: INVALID_HANDLE }
      invalidTwins.set(identity, twin)
    }
    return twin
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
        if (e.kind === 'identity') {
          didDocs.invalidate(e.did)
          // the handle it names may have just been set up (or moved away)
          if (e.handle !== undefined) handles?.invalidate(e.handle.toLowerCase())
        } else if (e.kind === 'operation' && e.collection === PROFILE_COLLECTION) profiles?.invalidate(e.did)
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

function verdictOf(outcome: Outcome<HandleResolution> | undefined, did: string): HandleVerdict {
  if (outcome === undefined) return 'timeout'
  if (!outcome.ok) return outcome.reason === 'timeout' ? 'timeout' : 'error'
  const named = outcome.value.did
  return named === did ? 'valid' : named === null ? 'not_confirmed' : 'other_did'
}
