// Micro-benchmark of the identity stage plus the encoder on one core, with a warm cache: the
// events of the 150 recorded corpus frames, one delivery per frame, encoded as the relay
// pipeline does, without (base) and with eventMetadata; a loopback fake PLC answers the first
// lookup of each DID. Prints process CPU ns per event (GC included) and the ratio.
// Usage: node bench/enrich.bench.ts [seconds per case=3] [--event-metadata-did-document=false]

import { createMetrics } from '../src/app-metrics.ts'
import { loadConfig } from '../src/cli/commands.ts'
import { encodeEvent } from '../src/encode/encode-event.ts'
import { createSnowflake } from '../src/encode/snowflake.ts'
import { createIdentityStageFromConfig } from '../src/enrich/create-identity-stage.ts'
import type { AtprotoEvent } from '../src/events/atproto-event.ts'
import type { RawJson } from '../src/events/raw-json.ts'
import { decodeFrame } from '../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../test/helpers/corpus.ts'
import { startFakeIdentity } from '../test/helpers/fake-identity.ts'
import { median } from './bench-kit.ts'

const seconds = Number(process.argv[2] ?? 3)
const flags = process.argv.slice(3)
// the corpus's one #identity event is left out: the refetch it causes is an HTTP round trip
// (measured end to end by the relay bench), not the per-event cost this measures
const deliveries: AtprotoEvent[][] = readCorpusFrames().map((frame) =>
  decodeFrame(frame, () => new Date().toISOString()).events.filter((e) => e.kind !== 'identity'),
)
const perPass = deliveries.reduce((n, d) => n + d.length, 0)
const snowflake = createSnowflake({ workerId: 1 })
// what the pipeline holds per event until Kafka acks (a window of a few thousand)
const inFlight: Buffer[] = new Array(4096)
let slot = 0
const encode = (event: AtprotoEvent, metadata?: RawJson) => {
  const { value } = encodeEvent(event, { format: 'standard', snowflake, metadata })
  inFlight[slot++ & 4095] = value
  return value.length
}

const plc = await startFakeIdentity()
const config = loadConfig(
  'relay',
  [
    '--bootstrap-servers',
    'unused:9092',
    '--event-metadata',
    '--plc-host',
    plc.url,
    '--plc-rate-limit',
    '0',
    ...flags,
  ],
  {},
)
const metrics = createMetrics()
const stage = createIdentityStageFromConfig(config, {
  metrics,
  onError: (err) => {
    throw err
  },
})
if (!stage) throw new Error('no identity stage')

const enrichedPass = () => {
  let bytes = 0
  for (const events of deliveries)
    stage.process(events, (kept) => {
      for (const { event, metadata } of kept) bytes += encode(event, metadata)
    })
  return bytes
}
const basePass = () => {
  let bytes = 0
  for (const events of deliveries) for (const event of events) bytes += encode(event)
  return bytes
}
// warm the cache: every DID looked up once
enrichedPass()
await new Promise((r) => setTimeout(r, 500))

// CPU time of the main thread, GC included; the loop yields after each pass so that the
// refetch after the corpus's #identity event completes as it would in the service
const yieldToLoop = () => new Promise((r) => setImmediate(r))
const measure = async (pass: () => number) => {
  const warm = performance.now()
  while (performance.now() - warm < 500) {
    pass()
    await yieldToLoop()
  }
  let passes = 0
  let bytes = 0
  const start = performance.now()
  const cpu = process.cpuUsage()
  while (performance.now() - start < seconds * 1000) {
    bytes = pass()
    passes++
    await yieldToLoop()
  }
  const used = process.cpuUsage(cpu)
  return { ns: ((used.user + used.system) * 1e3) / (passes * perPass), bytes: bytes / perPass }
}
const results: { base: number[]; enriched: number[] } = { base: [], enriched: [] }
let bytes = { base: 0, enriched: 0 }
for (let round = 0; round < 5; round++) {
  const b = await measure(basePass)
  const e = await measure(enrichedPass)
  results.base.push(b.ns)
  results.enriched.push(e.ns)
  bytes = { base: b.bytes, enriched: e.bytes }
}
const base = median(results.base)
const enriched = median(results.enriched)
console.log(
  `encode only: ${Math.round(base)} ns/event (${Math.round(bytes.base)} B); with eventMetadata${flags.length ? ` ${flags.join(' ')}` : ''}: ` +
    `${Math.round(enriched)} ns/event (${Math.round(bytes.enriched)} B); +${Math.round(enriched - base)} ns = ${((enriched / base) * 100).toFixed(0)} % (median of 5)`,
)
const lines = (await metrics.registry.metrics()).split('\n')
console.log(lines.filter((l) => /^atkafka_(plc_requests|enriched_events|cache_size)/.test(l)).join('\n'))
console.log(`node ${process.version}`)
await stage.close()
await plc.close()
