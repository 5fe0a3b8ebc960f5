// End-to-end relay benchmark: recorded frames (fresh seqs) over a local websocket, through the
// real atkafka CLI, into a real Kafka broker. Prints ops/s, CPU and peak RSS of the atkafka
// process. Usage: npm run bench -- relay [frames=60000] [runs=3] [extra atkafka flags...]
// ATKAFKA_BENCH_NODE_FLAGS overrides the V8 flags of the atkafka process (default: those of
// bin/atkafka.js, --max-semi-space-size=8).
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { benchNodeFlags, median, metric, procStats, startBenchBroker, stopBenchBroker } from './bench-kit.ts'

const root = join(import.meta.dirname, '..')
const [framesArg, runsArg, ...extra] = process.argv.slice(2)
const cursorMetric = extra.includes('--exactly-once') ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq'
const frameCount = Number(framesArg ?? 60_000)
const runs = Number(runsArg ?? 3)

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`child exited early with code ${code}`)))
  })
}

const { work, env } = startBenchBroker()
const results: { opsPerSec: number; cpuPct: number; rssPeakMb: number }[] = []
try {
  const server = spawn(process.execPath, [join(root, 'bench/frame-server.ts'), String(frameCount)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const { url, lastSeq } = JSON.parse(await firstLine(server)) as { url: string; lastSeq: number }
  const opsPerFrame = 1 // the corpus has 150 ops in 150 frames
  for (let run = 1; run <= runs; run++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const topic = `bench-${Date.now()}-${run}`
    // the V8 flags bin/atkafka.js and the Docker image run with, unless overridden
    const nodeFlags = benchNodeFlags.split(' ').filter(Boolean)
    const child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        join(root, 'dist/cli/main.js'),
        'firehose',
        'relay',
        '--relay-host',
        url,
        '--cursor',
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
    let started = 0
    let startCpu = 0
    for (;;) {
      await new Promise((r) => setTimeout(r, 20))
      const seq = await metric(port, 'atkafka_upstream_seq').catch(() => Number.NaN)
      if (!started && seq > 0) {
        started = performance.now()
        startCpu = procStats(child.pid!).cpuSeconds
      }
      // exactly-once: done when the last transaction (events + cursor) is committed
      const cursor = await metric(port, cursorMetric).catch(() => Number.NaN)
      if (cursor >= lastSeq) break
      if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
    }
    const seconds = (performance.now() - started) / 1000
    const stats = procStats(child.pid!)
    const r = {
      opsPerSec: Math.round((lastSeq * opsPerFrame) / seconds),
      cpuPct: Math.round(((stats.cpuSeconds - startCpu) / seconds) * 100),
      rssPeakMb: Math.round(stats.rssPeakMb),
    }
    results.push(r)
    console.log(
      `run ${run}: ${lastSeq} ops in ${seconds.toFixed(2)} s = ${r.opsPerSec} ops/s, CPU ${r.cpuPct}% of one core, peak RSS ${r.rssPeakMb} MB`,
    )
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  server.kill('SIGTERM')
} finally {
  stopBenchBroker(work)
}
console.log(
  `median of ${runs}: ${median(results.map((r) => r.opsPerSec))} ops/s, CPU ${median(results.map((r) => r.cpuPct))}%, peak RSS ${median(results.map((r) => r.rssPeakMb))} MB (flags: ${extra.join(' ') || 'defaults'}; node ${benchNodeFlags})`,
)
