// End-to-end Jetstream v2 archive benchmark: the recorded segments many times over (moved
// seqs) served from memory by a separate process, replayed by the real atkafka CLI
// (`firehose jetstream`) into a real Kafka broker. Prints rows/s, CPU, rows per main-thread
// CPU second (its inverse is the main-thread CPU per row) and peak RSS of the atkafka process.
// Usage: npm run bench -- jetstream [copies=100] [runs=3] [extra atkafka flags...]
// (100 copies = 500 segments, 288,800 rows.)
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  benchNodeFlags,
  median,
  metric,
  type RunStats,
  startBenchBroker,
  startMeasuring,
  stopBenchBroker,
  threadCpu,
} from './bench-kit.ts'

const root = join(import.meta.dirname, '..')
const [copiesArg, runsArg, ...extra] = process.argv.slice(2)
const copies = Number(copiesArg ?? 100)
const runs = Number(runsArg ?? 3)
const cursorMetric = extra.includes('--exactly-once') ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq'

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`child exited early with code ${code}`)))
  })
}

const { work, env } = startBenchBroker()
const results: RunStats[] = []
try {
  const server = spawn(process.execPath, [join(root, 'bench/jetstream-server.ts'), String(copies)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const { url, lastSeq, rows } = JSON.parse(await firstLine(server)) as {
    url: string
    lastSeq: number
    rows: number
  }
  for (let run = 1; run <= runs; run++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const topic = `bench-jetstream-${Date.now()}-${run}`
    const child = spawn(
      process.execPath,
      [
        ...benchNodeFlags.split(' ').filter(Boolean),
        join(root, 'dist/cli/main.js'),
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
        '--metrics-address',
        `127.0.0.1:${port}`,
        '--log-level',
        'warn',
        ...extra,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    )
    let measuring: ReturnType<typeof startMeasuring> | undefined
    for (;;) {
      await new Promise((r) => setTimeout(r, 20))
      const seq = await metric(port, 'atkafka_upstream_seq').catch(() => Number.NaN)
      if (!measuring && seq > 0) measuring = startMeasuring(child.pid!)
      const cursor = await metric(port, cursorMetric).catch(() => Number.NaN)
      if (cursor >= lastSeq) break
      if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
    }
    if (!measuring) throw new Error('no upstream seq seen before the end')
    const r = measuring.done(rows)
    if (process.env.ATKAFKA_BENCH_THREADS === '1') console.log(threadCpu(child.pid!))
    console.log(
      `run ${run}: ${rows} rows in ${r.seconds.toFixed(2)} s = ${r.perSec} rows/s, CPU ${r.cpuPct}% of one core, rows per main-thread CPU s ${r.perMainCpuSec} (${(1e6 / r.perMainCpuSec).toFixed(1)} µs per row), peak RSS ${r.rssPeakMb} MB`,
    )
    results.push(r)
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  server.kill('SIGTERM')
} finally {
  stopBenchBroker(work)
}
const main = median(results.map((r) => r.perMainCpuSec))
console.log(
  `median of ${runs}: ${median(results.map((r) => r.perSec))} rows/s, CPU ${median(results.map((r) => r.cpuPct))}%, rows per main-thread CPU s ${main} (${(1e6 / main).toFixed(1)} µs per row), peak RSS ${median(results.map((r) => r.rssPeakMb))} MB (flags: ${extra.join(' ') || 'defaults'}; node ${benchNodeFlags})`,
)
