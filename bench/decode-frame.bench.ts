// Micro-benchmark of decodeFrame on one core: decodes the 150 recorded corpus frames in a loop
// for ~3 s (after a warm-up) and prints ops/s, frames/s and MB/s.
// Usage: node bench/decode-frame.bench.ts [seconds=3]
import { decodeFrame } from '../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../test/helpers/corpus.ts'

const seconds = Number(process.argv[2] ?? 3)
const frames = readCorpusFrames()
const frameBytes = frames.reduce((n, f) => n + f.length, 0)
const receivedAt = () => '1970-01-01T00:00:00.000Z'

function pass(): { ops: number; drops: number } {
  let ops = 0
  let drops = 0
  for (const frame of frames) {
    const decoded = decodeFrame(frame, receivedAt)
    for (const event of decoded.events) if (event.kind === 'operation') ops++
    drops += decoded.drops.length
  }
  return { ops, drops }
}

const warm = performance.now()
while (performance.now() - warm < 500) pass()

let passes = 0
let ops = 0
let drops = 0
const start = performance.now()
let elapsed = 0
while (elapsed < seconds * 1000) {
  const r = pass()
  ops += r.ops
  drops += r.drops
  passes++
  elapsed = performance.now() - start
}
const s = elapsed / 1000
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(
  `decodeFrame: ${fmt(ops / s)} ops/s, ${fmt((passes * frames.length) / s)} frames/s, ` +
    `${((passes * frameBytes) / s / 1e6).toFixed(1)} MB/s ` +
    `(${passes} passes over ${frames.length} frames / ${frameBytes} bytes in ${s.toFixed(2)} s, node ${process.version}, ${drops} drops)`,
)
