// End-to-end relay benchmark: recorded frames (fresh seqs) over a local websocket, through the
// real atkafka CLI, into a real Kafka broker. Prints ops/s, CPU and peak RSS of the atkafka
// process. Usage: npm run bench -- relay [frames=60000] [runs=3] [extra atkafka flags...]
// [--compare variant flags... [--compare other variant flags...]]: each run is then the extra
// flags alone followed by each variant (extra flags plus its own), alternating on the same
// broker and frames; the medians of each are printed with their ratio to the base. --event-metadata without --plc-host gets a loopback
// PLC serving a document for every DID (the corpus DIDs are mainnet ones).
// ATKAFKA_BENCH_NODE_FLAGS overrides the V8 flags of the atkafka process (default: those of
// bin/atkafka.js: --max-semi-space-size=8 --heap-growing-percent=150 --no-allocation-site-pretenuring).
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startFakeIdentity } from '../test/helpers/fake-identity.ts'
import {
  benchNodeFlags,
  median,
  metric,
  metricLines,
  type RunStats,
  startBenchBroker,
  startMeasuring,
  stopBenchBroker,
  threadCpu,
} from './bench-kit.ts'

const root = join(import.meta.dirname, '..')
const [framesArg, runsArg, ...rest] = process.argv.slice(2)
const frameCount = Number(framesArg ?? 60_000)
// exactly-once: Kafka holds an op for read_committed readers once its transaction committed
const cursorMetric = (flags: string[]) =>
  flags.includes('--exactly-once') ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq'
const runs = Number(runsArg ?? 3)
const [extra = [], ...variants] = rest.reduce<string[][]>(
  (groups, arg) => {
    if (arg === '--compare') groups.push([])
    else groups.at(-1)?.push(arg)
    return groups
  },
  [[]],
)
const plc = rest.includes('--event-metadata') ? await startFakeIdentity() : undefined
const withPlc = (flags: string[]) =>
  plc && flags.includes('--event-metadata') && !flags.includes('--plc-host')
    ? [...flags, '--plc-host', plc.url]
    : flags

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`child exited early with code ${code}`)))
  })
}

type Result = RunStats
const { work, env } = startBenchBroker()
const results: Result[] = []
const variantResults: Result[][] = variants.map(() => [])
try {
  const server = spawn(process.execPath, [join(root, 'bench/frame-server.ts'), String(frameCount)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const { url, lastSeq } = JSON.parse(await firstLine(server)) as { url: string; lastSeq: number }
  const opsPerFrame = 1 // the corpus has 150 ops in 150 frames
  const runOnce = async (run: number, flags: string[], label: string): Promise<Result> => {
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
        // relay mode enriches by default; the base run measures the plain pipeline
        ...(flags.includes('--event-metadata') ? [] : ['--event-metadata=false']),
        ...withPlc(flags),
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    )
    let measuring: ReturnType<typeof startMeasuring> | undefined
    for (;;) {
      await new Promise((r) => setTimeout(r, 20))
      const seq = await metric(port, 'atkafka_upstream_seq').catch(() => Number.NaN)
      if (!measuring && seq > 0) measuring = startMeasuring(child.pid!)
      // exactly-once: done when the last transaction (events + cursor) is committed
      const cursor = await metric(port, cursorMetric(flags)).catch(() => Number.NaN)
      if (cursor >= lastSeq) break
      if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
    }
    if (!measuring) throw new Error('no upstream seq seen before the end')
    const r = measuring.done(lastSeq * opsPerFrame)
    if (flags.includes('--event-metadata')) {
      // a run whose lookups failed would be fast for the wrong reason: say how many were enriched
      const result = (name: string) => metric(port, 'atkafka_enriched_events_total', `result="${name}"`)
      const [complete, none] = [await result('complete'), await result('none')]
      // lookups that went upstream (cache misses), by kind
      const misses = (await metricLines(port))
        .filter((l) => /^atkafka_plc_requests\{.*cached="false"\} [1-9]/.test(l))
        .map((l) => `${/kind="(\w+)"/.exec(l)?.[1]}=${l.split(' ').pop()}`)
      console.log(
        `  enriched: ${complete} complete, ${none} without metadata; PLC requests: ${misses.join(' ')}`,
      )
      if (!(complete >= lastSeq * 0.99))
        throw new Error(`only ${complete} of ${lastSeq} events were enriched`)
    }
    if (process.env.ATKAFKA_BENCH_THREADS === '1') console.log(threadCpu(child.pid!))
    console.log(
      `run ${run}${label}: ${lastSeq} ops in ${r.seconds.toFixed(2)} s = ${r.perSec} ops/s, CPU ${r.cpuPct}% of one core, ops per main-thread CPU s ${r.perMainCpuSec}, peak RSS ${r.rssPeakMb} MB`,
    )
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    return r
  }
  for (let run = 1; run <= runs; run++) {
    results.push(await runOnce(run, extra, variants.length > 0 ? ' (base)' : ''))
    for (const [i, variant] of variants.entries()) {
      variantResults[i]!.push(await runOnce(run, [...extra, ...variant], ` (${variant.join(' ')})`))
    }
  }
  server.kill('SIGTERM')
} finally {
  stopBenchBroker(work)
  await plc?.close()
}
const summary = (rs: Result[]) =>
  `${median(rs.map((r) => r.perSec))} ops/s, CPU ${median(rs.map((r) => r.cpuPct))}%, ops per main-thread CPU s ${median(rs.map((r) => r.perMainCpuSec))}, peak RSS ${median(rs.map((r) => r.rssPeakMb))} MB`
console.log(
  `median of ${runs}: ${summary(results)} (flags: ${extra.join(' ') || 'defaults'}; node ${benchNodeFlags})`,
)
const cpuPerOp = (rs: Result[]) => median(rs.map((r) => r.cpuPct / 100 / r.perSec))
for (const [i, variant] of variants.entries()) {
  const rs = variantResults[i]!
  const ratio = median(rs.map((r) => r.perSec)) / median(results.map((r) => r.perSec))
  const cpu = cpuPerOp(rs) / cpuPerOp(results)
  const main = median(results.map((r) => r.perMainCpuSec)) / median(rs.map((r) => r.perMainCpuSec))
  console.log(
    `median of ${runs} with ${variant.join(' ')}: ${summary(rs)} = ${(ratio * 100).toFixed(1)}% of the base throughput, ${(cpu * 100).toFixed(0)}% of its CPU per op, ${(main * 100).toFixed(0)}% of its main-thread CPU per op`,
  )
}
