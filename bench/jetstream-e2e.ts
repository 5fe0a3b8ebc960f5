// End-to-end Jetstream v2 archive benchmark: the recorded segments many times over (moved
// seqs) served from memory by a separate process, replayed by the real atkafka CLI
// (`firehose jetstream`) into a real Kafka broker. Prints rows/s, CPU, rows per main-thread
// CPU second (its inverse is the main-thread CPU per row) and peak RSS of the atkafka process.
// Usage: npm run bench -- jetstream [copies=100] [runs=3] [extra atkafka flags...]
// (100 copies = 500 segments, 288,800 rows.)
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import {
  benchNodeFlags,
  benchRoots,
  brokerCpuSeconds,
  firstLine,
  measureToCursor,
  medians,
  type RunStats,
  rootLabel,
  spawnAtkafka,
  startBenchBroker,
  stopBenchBroker,
  stopChild,
  threadCpu,
} from './bench-kit.ts'

const root = join(import.meta.dirname, '..')
const [copiesArg, runsArg, ...extra] = process.argv.slice(2)
const copies = Number(copiesArg ?? 100)
const runs = Number(runsArg ?? 3)
const cursorMetric = extra.includes('--exactly-once') ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq'

const { work, env } = startBenchBroker()
const results = new Map<string, RunStats[]>(benchRoots.map((r) => [r, []]))
try {
  const server = spawn(process.execPath, [join(root, 'bench/jetstream-server.ts'), String(copies)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const { url, lastSeq, rows } = JSON.parse(await firstLine(server)) as {
    url: string
    lastSeq: number
    rows: number
  }
  for (let run = 1; run <= runs; run++)
    for (const tree of benchRoots) {
      const topic = `bench-jetstream-${Date.now()}-${run}`
      const brokerAt = brokerCpuSeconds(work)
      const { child, port } = spawnAtkafka(
        [
          'firehose',
          'jetstream',
          '--jetstream-host',
          url,
          '--jetstream-cursor',
          '0',
          '--bootstrap-servers',
          env.KAFKA_BOOTSTRAP ?? '',
          '--output-topic',
          topic,
        ],
        extra,
        { root: tree },
      )
      const r = (await measureToCursor(child, port, cursorMetric, lastSeq)).done(rows)
      if (process.env.ATKAFKA_BENCH_THREADS === '1') {
        // the whole process life (startup included), and the broker's CPU since atkafka started
        console.log(`${threadCpu(child.pid!)} broker=${(brokerCpuSeconds(work) - brokerAt).toFixed(2)}s`)
      }
      console.log(
        `run ${run}${rootLabel(tree)}: ${rows} rows in ${r.seconds.toFixed(2)} s = ${r.perSec} rows/s, CPU ${r.cpuPct}% of one core, rows per main-thread CPU s ${r.perMainCpuSec} (${(1e6 / r.perMainCpuSec).toFixed(1)} µs per row), peak RSS ${r.rssPeakMb} MB`,
      )
      results.get(tree)!.push(r)
      await stopChild(child)
    }
  server.kill('SIGTERM')
} finally {
  stopBenchBroker(work)
}
for (const [tree, rs] of results) {
  const m = medians(rs)
  console.log(
    `median of ${runs}${rootLabel(tree)}: ${m.perSec} rows/s, CPU ${m.cpuPct}%, rows per main-thread CPU s ${m.perMainCpuSec} (${(1e6 / m.perMainCpuSec).toFixed(1)} µs per row), peak RSS ${m.rssPeakMb} MB (flags: ${extra.join(' ') || 'defaults'}; node ${benchNodeFlags})`,
  )
}
