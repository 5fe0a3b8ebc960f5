// The Jetstream v2 source against the local Jetstream v2 (the recorded exchanges), without
// Kafka: deliveries acked as they come. Archive then live equals the recorded truth and the Go
// client's full view; the seam and every reconnect repeat nothing; the faults the server can
// show (dropped connections, ConsumerTooSlow, CursorTooOld, an unknown dictionary) lose nothing.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import pino from 'pino'
import { Registry } from 'prom-client'
import type { AtprotoEvent } from '../../src/events/atproto-event.ts'
import { pipelineMetrics } from '../../src/pipeline/pipeline-metrics.ts'
import { upstreamMetrics } from '../../src/pipeline/upstream-metrics.ts'
import { jetstreamMetrics } from '../../src/sources/jetstream-v2/jetstream-metrics.ts'
import {
  createJetstreamSource,
  type JetstreamSource,
  type JetstreamSourceConfig,
} from '../../src/sources/jetstream-v2/jetstream-source.ts'
import { clientView, type FoldEvent, foldAgainstTruth } from '../helpers/jetstream-v2-fixtures.ts'
import { type StandIn, type StandInOptions, startJetstreamStandIn } from '../helpers/jetstream-v2-server.ts'

const LAST_SEQ = 6691
const servers: StandIn[] = []
after(async () => {
  for (const s of servers) await s.close()
})

/** what the app hands the source: its upstream, drop and own series, on a fresh registry */
function sourceMetrics() {
  const registry = new Registry()
  const { eventDropped } = pipelineMetrics(registry)
  return { ...upstreamMetrics(registry), eventDropped, ...jetstreamMetrics(registry) }
}

function sourceFor(server: StandIn, over: Partial<JetstreamSourceConfig> = {}): JetstreamSource {
  return createJetstreamSource(
    {
      url: server.url,
      archive: true,
      zstd: false,
      filters: {},
      downloadConcurrency: 3,
      maxDownloadBytes: 100_000,
      chunkBytes: 16 * 1024,
      maxSegmentBytes: 1 << 20,
      requestTimeoutMs: 10_000,
      reconnectMinMs: 10,
      reconnectMaxMs: 50,
      idleTimeoutMs: 0,
      maxFrameBytes: 1 << 20,
      ...over,
    },
    { metrics: sourceMetrics(), logger: pino({ level: 'silent' }) },
  )
}

/** events until the last recorded seq arrived, every delivery acked at once */
async function run(source: JetstreamSource, afterSeq?: number): Promise<AtprotoEvent[]> {
  const controller = new AbortController()
  const events: AtprotoEvent[] = []
  for await (const delivery of source.deliveries(controller.signal, afterSeq)) {
    events.push(...delivery.events)
    delivery.ack()
    const last = delivery.events.at(-1)
    if (last && 'seq' in last && last.seq === LAST_SEQ) controller.abort()
  }
  return events
}

function foldable(events: AtprotoEvent[]): FoldEvent[] {
  // one FoldEvent (or none) per event
  return events.flatMap((e): FoldEvent[] => {
    if (e.kind === 'operation')
      return [
        {
          seq: e.seq!,
          kind: e.kind,
          did: e.did,
          action: e.action,
          collection: e.collection,
          rkey: e.rkey,
          cid: e.cid,
        },
      ]
    if (e.kind === 'account')
      return [{ seq: e.seq, kind: e.kind, did: e.did, active: e.active, status: e.status }]
    if (e.kind === 'sync' || e.kind === 'identity') return [{ seq: e.seq!, kind: e.kind, did: e.did }]
    return []
  })
}

async function standIn(options: StandInOptions = {}) {
  const s = await startJetstreamStandIn(options)
  servers.push(s)
  return s
}

function assertEachSeqOnce(events: AtprotoEvent[]) {
  const seqs = events.flatMap((e) => ('seq' in e && e.seq !== undefined ? [e.seq] : []))
  assert.equal(new Set(seqs).size, seqs.length, 'a seq came twice')
  assert.deepEqual(
    seqs,
    clientView('client_full').map((e) => e.cursor),
  )
}

test('archive, then live from the pinned tip: the truth (80/80 accounts, 4,761 records), each seq once', async () => {
  const server = await standIn()
  const source = sourceFor(server)
  const events = await run(source)
  assertEachSeqOnce(events)
  const fold = foldAgainstTruth(foldable(events))
  assert.deepEqual(fold.mismatched, [])
  assert.equal(fold.accounts, 80)
  assert.equal(fold.records, 4761)
  assert.equal(source.counts.archive.pages, 2)
  assert.equal(source.counts.archive.segments, 5)
  assert.equal(source.counts.rows, 2888)
  assert.equal(source.counts.duplicates, 1) // the seam's repeated event
  // the plan pages as recorded, the live stream opened once at the pinned tip
  assert.ok(server.requests.includes('WS /xrpc/network.bsky.jetstream.subscribeEvents?cursor=2890'))
})

test('dict-zstd, dropped connections and a ConsumerTooSlow: the same events, each once', async () => {
  const server = await standIn({ dropAfterFrames: 700, consumerTooSlowAfter: 300 })
  const source = sourceFor(server, { zstd: true })
  const events = await run(source)
  assertEachSeqOnce(events)
  assert.ok(source.counts.connections >= 6)
  assert.ok(server.requests.some((r) => r.includes('zstdDictionary=20260811')))
})

test('resume from a position inside the archive, and from one inside the live range', async () => {
  const server = await standIn()
  const fromArchive = await run(sourceFor(server), 1500)
  assert.equal((fromArchive[0] as { seq: number }).seq, 1501)
  const fromLive = await run(sourceFor(server), 4000)
  assert.equal((fromLive[0] as { seq: number }).seq, 4001)
  assert.equal(fromLive.length, LAST_SEQ - 4000)
})

test('CursorTooOld: the archive is replayed again from the last seq, then live; nothing skipped', async () => {
  const server = await standIn({ lookbackFloor: 3000, lookbackRefusals: 1 })
  const source = sourceFor(server)
  const events = await run(source)
  assertEachSeqOnce(events)
  assert.equal(source.counts.cursorTooOld, 1)
  assert.equal(source.counts.archive.pages, 1) // the second replay: one page, nothing new after 2890
})

test('CursorTooOld that the archive cannot close ends the run naming the gap', async () => {
  const server = await standIn({ lookbackFloor: 3000 })
  const source = sourceFor(server)
  await assert.rejects(run(source), /cannot be had/)
})
