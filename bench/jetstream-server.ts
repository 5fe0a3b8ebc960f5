// A Jetstream v2 stand-in for benchmarks, run as its own process so its memory and CPU are not
// counted as atkafka's: the recorded segments `copies` times over with moved seqs
// (test/helpers/jetstream-v2-resequence.ts), served from memory by the tests' local Jetstream
// v2. Prints {"url","lastSeq","rows"}.
import { resequencedArchive } from '../test/helpers/jetstream-v2-resequence.ts'
import { startJetstreamStandIn } from '../test/helpers/jetstream-v2-server.ts'

const copies = Number(process.argv[2] ?? 100)
const t0 = performance.now()
const { segments, lastSeq, rows } = await resequencedArchive(copies)
const server = await startJetstreamStandIn({ segments })
process.stderr.write(
  `jetstream-server: ${segments.size} segments, ${rows} rows ready in ${Math.round(performance.now() - t0)} ms\n`,
)
process.stdout.write(`${JSON.stringify({ url: server.url, lastSeq, rows })}\n`)
process.stdin.resume()
process.stdin.on('end', () => void server.close().then(() => process.exit(0)))
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
