// End-to-end relay benchmark: recorded frames (fresh seqs) over a local websocket, through the
// real atkafka CLI, into a real Kafka broker. Prints ops/s, CPU and peak RSS of the atkafka
// process. Usage: npm run bench -- relay [frames=60000] [runs=3] [extra atkafka flags...]
// [--compare variant flags... [--compare other variant flags...]]: each run is then the extra
// flags alone followed by each variant (extra flags plus its own), alternating on the same
// broker and frames; the medians of each are printed with their ratio to the base. --event-metadata without --plc-host gets a loopback
// PLC serving a document for every DID (the corpus DIDs are mainnet ones).
// ATKAFKA_BENCH_NODE_FLAGS overrides the V8 flags of the atkafka process (default: those of
// bin/atkafka.js: --max-semi-space-size=8 --heap-growing-percent=150 --no-allocation-site-pretenuring).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { startFakeIdentity } from '../test/helpers/fake-identity.ts'
import {
  benchNodeFlags,
  benchRoots,
  firstLine,
  measureToCursor,
  median,
  medians,
  metric,
  metricLines,
  type RunStats,
  rootLabel,
  spawnAtkafka,
  startBenchBroker,
  stopBenchBroker,
  stopChild,
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

type Result = RunStats
const { work, env } = startBenchBroker()
const byTree = new Map(
  benchRoots.map((r) => [r, { results: [] as Result[], variantResults: variants.map(() => [] as Result[]) }]),
)
try {
  const server = spawn(process.execPath, [join(root, 'bench/frame-server.ts'), String(frameCount)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const { url, lastSeq } = JSON.parse(await firstLine(server)) as { url: string; lastSeq: number }
  const opsPerFrame = 1 // the corpus has 150 ops in 150 frames
  const runOnce = async (run: number, flags: string[], label: string, tree: string): Promise<Result> => {
    const topic = `bench-${Date.now()}-${run}`
    const { child, port } = spawnAtkafka(
      [
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
      ],
      [
        // relay mode enriches by default; the base run measures the plain pipeline
        ...(flags.includes('--event-metadata') ? [] : ['--event-metadata=false']),
        ...withPlc(flags),
      ],
      { root: tree },
    )
    const r = (await measureToCursor(child, port, cursorMetric(flags), lastSeq)).done(lastSeq * opsPerFrame)
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
      `run ${run}${rootLabel(tree)}${label}: ${lastSeq} ops in ${r.seconds.toFixed(2)} s = ${r.perSec} ops/s, CPU ${r.cpuPct}% of one core, ops per main-thread CPU s ${r.perMainCpuSec}, peak RSS ${r.rssPeakMb} MB`,
    )
    await stopChild(child)
    return r
  }
  for (let run = 1; run <= runs; run++) {
    for (const [tree, { results, variantResults }] of byTree) {
      results.push(await runOnce(run, extra, variants.length > 0 ? ' (base)' : '', tree))
      for (const [i, variant] of variants.entries()) {
        variantResults[i]!.push(await runOnce(run, [...extra, ...variant], ` (${variant.join(' ')})`, tree))
      }
    }
  }
  server.kill('SIGTERM')
} finally {
  stopBenchBroker(work)
  await plc?.close()
}
const summary = (rs: Result[]) => {
  const m = medians(rs)
  return `${m.perSec} ops/s, CPU ${m.cpuPct}%, ops per main-thread CPU s ${m.perMainCpuSec}, peak RSS ${m.rssPeakMb} MB`
}
for (const [tree, { results, variantResults }] of byTree) {
  console.log(
    `median of ${runs}${rootLabel(tree)}: ${summary(results)} (flags: ${extra.join(' ') || 'defaults'}; node ${benchNodeFlags})`,
  )
  const cpuPerOp = (rs: Result[]) => median(rs.map((r) => r.cpuPct / 100 / r.perSec))
  for (const [i, variant] of variants.entries()) {
    const rs = variantResults[i]!
    const ratio = medians(rs).perSec / medians(results).perSec
    const cpu = cpuPerOp(rs) / cpuPerOp(results)
    const main = medians(results).perMainCpuSec / medians(rs).perMainCpuSec
    console.log(
      `median of ${runs} with ${variant.join(' ')}: ${summary(rs)} = ${(ratio * 100).toFixed(1)}% of the base throughput, ${(cpu * 100).toFixed(0)}% of its CPU per op, ${(main * 100).toFixed(0)}% of its main-thread CPU per op`,
    )
  }
}
