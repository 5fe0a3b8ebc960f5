// A relay stand-in for benchmarks, run as its own process so its memory and CPU are not
// counted as atkafka's: serves `count` frames cycled from the recorded corpus with fresh
// consecutive seqs, as fast as the subscriber takes them. Prints {"url","firstSeq","lastSeq"}.
import { readCorpusFrames } from '../test/helpers/corpus.ts'
import { startFakeRelay } from '../test/helpers/fake-relay.ts'
import { resequenced } from '../test/helpers/frame-tools.ts'

const count = Number(process.argv[2] ?? 50_000)
const t0 = performance.now()
const frames = resequenced(readCorpusFrames(), count, 1)
const relay = await startFakeRelay({ frames })
process.stderr.write(`frame-server: ${count} frames ready in ${Math.round(performance.now() - t0)} ms\n`)
process.stdout.write(`${JSON.stringify({ url: relay.url, firstSeq: 1, lastSeq: count })}\n`)
process.stdin.resume()
process.stdin.on('end', () => void relay.close().then(() => process.exit(0)))
process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)))
