// Micro-benchmark of the encoders on one core: Snowflake ids, then encodeEvent in both formats
// over the events of the 150 recorded corpus frames (real records, decoded by @atcute/cbor).
// Usage: node bench/encode.bench.ts [seconds per case=2]
import { encodeEvent } from '../src/encode/encode-event.ts'
import { createSnowflake } from '../src/encode/snowflake.ts'
import type { AtprotoEvent } from '../src/events/atproto-event.ts'
import { createCollectionMatcher } from '../src/filters/collection-matcher.ts'
import type { OutputFormat } from '../src/output/formats.ts'
import { decodeFrame } from '../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../test/helpers/corpus.ts'

const seconds = Number(process.argv[2] ?? 2)
const events: AtprotoEvent[] = readCorpusFrames().flatMap(
  (frame) => decodeFrame(frame, () => new Date().toISOString()).events,
)
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** runs `pass` (doing `perPass` operations) for ~`seconds` after a warm-up; returns ops/s */
function measure(pass: () => number, perPass: number): { rate: number; sink: number } {
  let sink = 0
  const warm = performance.now()
  while (performance.now() - warm < 300) sink += pass()
  let passes = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < seconds * 1000) {
    sink += pass()
    passes++
    elapsed = performance.now() - start
  }
  return { rate: (passes * perPass) / (elapsed / 1000), sink }
}

const snowflake = createSnowflake({ workerId: 1 })
const ids = measure(() => {
  let n = 0
  for (let i = 0; i < 100_000; i++) n += snowflake.next().length
  return n
}, 100_000)
console.log(`snowflake.next: ${fmt(ids.rate)} ids/s`)

for (const format of ['standard', 'osprey'] as OutputFormat[]) {
  let bytes = 0
  const r = measure(() => {
    let n = 0
    for (const event of events) n += encodeEvent(event, { format, snowflake }).value.length
    bytes = n
    return n
  }, events.length)
  console.log(
    `encodeEvent ${format}: ${fmt(r.rate)} events/s, ${((r.rate * bytes) / events.length / 1e6).toFixed(1)} MB/s ` +
      `(${events.length} corpus events, ${Math.round(bytes / events.length)} bytes avg)`,
  )
}

const collections = events.flatMap((e) => (e.kind === 'operation' ? [e.collection] : []))
const patterns = Array.from({ length: 200 }, (_, i) => `com.example${i}.*`).concat(['app.bsky.graph.*'])
const matches = createCollectionMatcher(patterns)
const m = measure(() => {
  let n = 0
  for (const c of collections) if (matches(c)) n++
  return n
}, collections.length)
console.log(`collection matcher (${patterns.length} patterns): ${fmt(m.rate)} lookups/s`)
console.log(`node ${process.version}`)
