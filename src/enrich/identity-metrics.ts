// The identity stage's series: lookups (PLC / did:web documents and audit logs, profiles) by
// status and whether the cache answered, the caches' sizes, events by how complete their
// metadata is, and what the service filter did with DIDs it could not resolve.
import type { Registry } from 'prom-client'
import {
  HANDLE_VERDICTS,
  type HandleVerdict,
  LOOKUP_KINDS,
  LOOKUP_STATUSES,
  type LookupKind,
  type LookupStatus,
} from '../identity/identity-types.ts'
import { type Count, counterSeries, each, gaugeSeries, metricsPart } from '../metrics/series.ts'

export interface IdentityMetrics {
  /** an identity lookup answered (did_doc and audit_log: PLC or did:web; profile: the API host) */
  identityRequest(kind: LookupKind, status: LookupStatus, cached: boolean): void
  /** where atkafka_cache_size is read (on scrape) */
  identityCacheSizes(read: () => Partial<Record<LookupKind, number>>): void
  /** an event with a DID while enrichment is on: metadata complete, partial (audit log or profile missing) or none */
  eventEnriched(result: 'complete' | 'partial' | 'none'): void
  /** an event whose DID could not be resolved while a service filter is on, and what became of it */
  serviceUnresolved(decision: 'pass' | 'drop'): void
  /** an enriched event whose DID document claims a handle: what the handle's check found */
  handleVerified(verdict: HandleVerdict): void
}

export const identityMetrics = metricsPart((registry: Registry) => {
  const lookupSets = (kinds: readonly LookupKind[]) =>
    kinds.flatMap((kind) =>
      LOOKUP_STATUSES.flatMap((status) => [
        [kind, status, 'true'],
        [kind, status, 'false'],
      ]),
    )
  const plcRequests = counterSeries(registry, {
    name: 'atkafka_plc_requests',
    help: 'DID document (did_doc: PLC or did:web) and PLC audit log (audit_log) lookups, by status and whether the cache (or a lookup already in flight) answered',
    labelNames: ['kind', 'status', 'cached'],
    preset: lookupSets(['did_doc', 'audit_log']),
  })
  const apiRequests = counterSeries(registry, {
    name: 'atkafka_api_requests',
    help: 'Profile lookups (app.bsky.actor.getProfile on the API host), by status and whether the cache (or a lookup already in flight) answered',
    labelNames: ['kind', 'status', 'cached'],
    preset: lookupSets(['profile']),
  })
  let readCacheSizes: () => Partial<Record<LookupKind, number>> = () => ({})
  gaugeSeries(
    registry,
    {
      name: 'atkafka_cache_size',
      help: 'Entries in each identity cache (did_doc, audit_log, profile, handle)',
      labelNames: ['kind'],
    },
    () => {
      const sizes = readCacheSizes()
      return LOOKUP_KINDS.map((kind) => [{ kind }, sizes[kind] ?? 0] as const)
    },
  )
  const enriched = counterSeries(registry, {
    name: 'atkafka_enriched_events_total',
    help: 'Events with a DID while enrichment is on, by result: complete, partial (audit log or profile missing), none (DID not resolved in time: no eventMetadata)',
    labelNames: ['result'],
    preset: each(['complete', 'partial', 'none']),
  })
  const handleChecks = counterSeries(registry, {
    name: 'atkafka_handle_verifications_total',
    help: 'Enriched events whose DID document claims a handle, by what the check found: valid (the handle names the DID back: written as-is), not_confirmed (it names none), other_did, timeout (no answer within the deadline), error; all but valid are written as handle.invalid',
    labelNames: ['result'],
    preset: each(HANDLE_VERDICTS),
  })
  const unresolved = counterSeries(registry, {
    name: 'atkafka_service_filter_unresolved_total',
    help: 'Events whose DID could not be resolved while a service filter is on, by decision (pass: fail-open, drop: fail-closed)',
    labelNames: ['decision'],
    preset: each(['pass', 'drop']),
  })
  const requestCounts = new Map<string, Count>()
  for (const c of [...plcRequests.children(), ...apiRequests.children()]) {
    requestCounts.set(`${c.labels.kind} ${c.labels.status} ${c.labels.cached}`, c)
  }
  const metrics: IdentityMetrics = {
    identityRequest: (kind, status, cached) => {
      const count = requestCounts.get(`${kind} ${status} ${cached}`)
      if (count) count.value++
    },
    identityCacheSizes: (read) => {
      readCacheSizes = read
    },
    eventEnriched: (result) => {
      enriched.child(result).value++
    },
    serviceUnresolved: (decision) => {
      unresolved.child(decision).value++
    },
    handleVerified: (verdict) => {
      handleChecks.child(verdict).value++
    },
  }
  return metrics
})
