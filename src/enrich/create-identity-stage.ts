// config → the identity stage (or none when neither enrichment nor a service filter is on):
// the HTTP client (on a worker thread), one rate limit per upstream, one cache per kind, metrics.
import type { SharedConfig } from '../config/schema.ts'
import { createServiceFilter } from '../filters/service-filter.ts'
import { createConcurrencyLimit } from '../identity/concurrency-limit.ts'
import { createLookups, type LookupObserver } from '../identity/identity-lookups.ts'
import type { LookupError } from '../identity/lookup-error.ts'
import { createTokenBucket } from '../identity/token-bucket.ts'
import { createWorkerIdentityClient } from '../identity/worker-identity-client.ts'
import type { PipelineMetrics } from '../pipeline/pipeline-metrics.ts'
import type { IdentityMetrics } from './identity-metrics.ts'
import { createIdentityStage, type IdentityStage } from './identity-stage.ts'

export type IdentityConfig = Pick<
  SharedConfig<'firehose'>,
  | 'eventMetadata'
  | 'eventMetadataDidDocument'
  | 'matchedServices'
  | 'ignoredServices'
  | 'serviceFilterOnError'
  | 'plcHost'
  | 'apiHost'
  | 'identityTimeoutMs'
  | 'plcRateLimit'
  | 'apiRateLimit'
  | 'didCacheSize'
  | 'didCacheTtlS'
  | 'auditLogCacheSize'
  | 'auditLogCacheTtlS'
  | 'profileCacheSize'
  | 'profileCacheTtlS'
  | 'verifyHandles'
  | 'dnsServers'
  | 'devHandleOrigins'
  | 'handleCacheTtlS'
  | 'handleConcurrency'
>

export function createIdentityStageFromConfig(
  config: IdentityConfig,
  deps: {
    metrics: IdentityMetrics & Pick<PipelineMetrics, 'eventFiltered'>
    onError: (err: unknown) => void
  },
): IdentityStage | undefined {
  const serviceFilter = createServiceFilter({
    matched: config.matchedServices,
    ignored: config.ignoredServices,
  })
  if (!serviceFilter && !config.eventMetadata) return undefined
  const { metrics } = deps
  // HTTP off the main thread: a cache miss costs it one message each way
  const client = createWorkerIdentityClient({
    plcHost: config.plcHost,
    apiHost: config.apiHost,
    dnsServers: config.dnsServers,
    devHandleOrigins: config.devHandleOrigins,
  })
  // when the worker got ready: deadlines (a handle's wait included) start there
  let readyAt = 0
  void client.whenReady()?.then(() => {
    readyAt = performance.now()
  })
  const plc = createTokenBucket(config.plcRateLimit)
  const web = createTokenBucket(config.plcRateLimit)
  const api = createTokenBucket(config.apiRateLimit)
  const observer: LookupObserver = {
    request: (kind, status, cached) => metrics.identityRequest(kind, status, cached),
  }
  const reasonOf = (err: unknown) => (err as Partial<LookupError>).reason ?? 'error'
  const timeoutMs = config.identityTimeoutMs
  // deadlines start once the worker has loaded (its start-up would eat a short deadline)
  const clientReady = client.whenReady
  const didDocs = createLookups({
    kind: 'did_doc',
    cache: { size: config.didCacheSize, ttlMs: config.didCacheTtlS * 1000 },
    timeoutMs,
    bucketFor: (did) => (did.startsWith('did:web:') ? web : plc),
    fetch: client.resolveDid,
    observer,
    reasonOf,
    clientReady,
  })
  const auditLogs = config.eventMetadata
    ? createLookups({
        kind: 'audit_log',
        cache: { size: config.auditLogCacheSize, ttlMs: config.auditLogCacheTtlS * 1000 },
        timeoutMs,
        bucketFor: () => plc,
        fetch: client.didCreation,
        observer,
        reasonOf,
        clientReady,
      })
    : undefined
  const profiles =
    config.eventMetadata && config.apiHost
      ? createLookups({
          kind: 'profile',
          cache: { size: config.profileCacheSize, ttlMs: config.profileCacheTtlS * 1000 },
          timeoutMs,
          bucketFor: () => api,
          fetch: client.profile,
          observer,
          reasonOf,
          clientReady,
        })
      : undefined
  const resolving = createConcurrencyLimit(config.handleConcurrency)
  const unlimited = createTokenBucket(0)
  const handles =
    config.eventMetadata && config.verifyHandles
      ? createLookups({
          kind: 'handle',
          // as many handles as DID documents: one claimed per document
          cache: { size: config.didCacheSize, ttlMs: config.handleCacheTtlS * 1000 },
          timeoutMs,
          bucketFor: () => unlimited,
          fetch: (handle, signal) => resolving.run(signal, () => client.resolveHandle(handle, signal)),
          observer: { request: () => {} },
          reasonOf,
          clientReady,
        })
      : undefined
  metrics.identityCacheSizes(() => ({
    did_doc: didDocs.size,
    audit_log: auditLogs?.size,
    profile: profiles?.size,
    handle: handles?.size,
  }))
  return createIdentityStage({
    didDocs,
    auditLogs,
    profiles,
    handles,
    timeoutMs,
    clientReadyAt: () => readyAt,
    enrich: config.eventMetadata,
    withDocument: config.eventMetadataDidDocument,
    serviceFilter,
    onUnresolved: config.serviceFilterOnError,
    observer: {
      serviceFiltered: (event) => metrics.eventFiltered(event.kind),
      serviceUnresolved: (decision) => metrics.serviceUnresolved(decision),
      enriched: (result) => metrics.eventEnriched(result),
      handleVerified: (verdict) => metrics.handleVerified(verdict),
    },
    onError: deps.onError,
    close: client.close,
  })
}
