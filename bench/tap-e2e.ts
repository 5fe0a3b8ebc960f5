// End-to-end Tap benchmark: Tap-format record events (real record values from the recorded
// corpus) sent by a local Tap stand-in that reads the acks, through the real atkafka CLI, into
// a real Kafka broker. A run ends when every event is acked, i.e. held by Kafka. Prints
// records/s, CPU and peak RSS of the atkafka process.
// Usage: npm run bench -- tap [events=200000] [runs=3] [extra atkafka flags...]
// ATKAFKA_BENCH_NODE_FLAGS passes V8 flags to the atkafka process only (default: the shipped
// flags of bin/atkafka.js: --max-semi-space-size=8 --heap-growing-percent=150 --no-allocation-site-pretenuring).
// `node bench/tap-e2e.ts --serve N` is the Tap stand-in (its own process, so that its CPU and
// memory are not counted as atkafka's).
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { readExpectedV1 } from '../test/helpers/corpus.ts'
import { startFakeTap } from '../test/helpers/fake-tap.ts'
import {
  benchNodeFlags,
  medians,
  metric,
  type RunStats,
  spawnAtkafka,
  startBenchBroker,
  startMeasuring,
  stopBenchBroker,
  stopChild,
} from './bench-kit.ts'

interface V1Commit {
  did: string
  commit?: {
    rev: string
    operation: 'create' | 'update' | 'delete'
    collection: string
    rkey: string
    record?: unknown
    cid?: string
  }
}

/** `count` Tap record events (ids 1..count) cycling over the corpus commits, half backfill, half live */
function tapFrames(count: number): string[] {
  const commits = (readExpectedV1() as V1Commit[]).filter((e) => e.commit)
  const frames: string[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const { did, commit } = commits[i % commits.length] as Required<V1Commit>
    const body =
      commit.operation === 'delete'
        ? {
            live: i % 2 === 0,
            did,
            rev: commit.rev,
            collection: commit.collection,
            rkey: commit.rkey,
            action: 'delete',
          }
        : {
            live: i % 2 === 0,
            did,
            rev: commit.rev,
            collection: commit.collection,
            rkey: commit.rkey,
            action: commit.operation,
            record: commit.record,
            cid: commit.cid,
          }
    frames[i] = JSON.stringify({ id: i + 1, type: 'record', record: body })
  }
  return frames
}

async function serve(count: number): Promise<void> {
  const t0 = performance.now()
  const frames = tapFrames(count)
  const bytes = frames.reduce((n, f) => n + f.length, 0)
  const tap = await startFakeTap()
  tap.sendRaw(frames.map((text, i) => ({ text, id: i + 1 })))
  process.stderr.write(
    `tap-server: ${count} events (${Math.round(bytes / count)} bytes avg) ready in ${Math.round(performance.now() - t0)} ms\n`,
  )
  process.stdout.write(`${JSON.stringify({ url: tap.url, count })}\n`)
  const done = tap.waitForAcks({ count }, 600_000)
  done.then(
    () => process.stdout.write(`${JSON.stringify({ acked: tap.ackedIds.size, acks: tap.acks.length })}\n`),
    (err: Error) => process.stderr.write(`tap-server: ${err.message}\n`),
  )
  const stop = () => void tap.close().then(() => process.exit(0))
  process.stdin.resume()
  process.stdin.on('end', stop)
  process.on('SIGTERM', stop)
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
}

async function bench(count: number, runs: number, extra: string[]): Promise<void> {
  const { work, env } = startBenchBroker()
  const results: RunStats[] = []
  try {
    for (let run = 1; run <= runs; run++) {
      // a fresh Tap stand-in per run: acked events are gone from its outbox
      const server = spawn(process.execPath, [import.meta.filename, '--serve', String(count)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
      const out = lines(server)
      const { url } = JSON.parse((await out.next()).value as string) as { url: string }
      const topic = `bench-tap-${Date.now()}-${run}`
      const { child, port } = spawnAtkafka(
        [
          'firehose',
          'tap',
          '--tap-host',
          url,
          '--bootstrap-servers',
          env.KAFKA_BOOTSTRAP ?? '',
          '--output-topic',
          topic,
        ],
        extra,
      )
      const acked = out.next() // the server's line once every event is acked
      let finished = false
      void acked.then(() => {
        finished = true
      })
      let measuring: ReturnType<typeof startMeasuring> | undefined
      while (!finished) {
        await new Promise((r) => setTimeout(r, 10))
        if (!measuring) {
          const received = await metric(port, 'atkafka_tap_event_buffer_size').catch(() => Number.NaN)
          if (received > 0) measuring = startMeasuring(child.pid!)
        }
        if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
      }
      if (!measuring) throw new Error('no event received before the end')
      const r = measuring.done(count)
      const summary = JSON.parse((await acked).value as string) as { acked: number; acks: number }
      const sent = await metric(port, 'atkafka_acks_sent', 'status="ok"')
      results.push(r)
      console.log(
        `run ${run}: ${count} records in ${r.seconds.toFixed(2)} s = ${r.perSec} records/s, CPU ${r.cpuPct}% of one core, records per main-thread CPU s ${r.perMainCpuSec}, peak RSS ${r.rssPeakMb} MB (acks: ${summary.acked} distinct, ${summary.acks} received, ${sent} sent)`,
      )
      await stopChild(child)
      await stopChild(server)
    }
  } finally {
    stopBenchBroker(work)
  }
  const m = medians(results)
  console.log(
    `median of ${runs}: ${m.perSec} records/s, CPU ${m.cpuPct}%, records per main-thread CPU s ${m.perMainCpuSec}, peak RSS ${m.rssPeakMb} MB (flags: ${extra.join(' ') || 'defaults'}; node ${benchNodeFlags})`,
  )
}

const args = process.argv.slice(2)
if (args[0] === '--serve') {
  await serve(Number(args[1] ?? 200_000))
} else {
  const [countArg, runsArg, ...extra] = args
  await bench(Number(countArg ?? 200_000), Number(runsArg ?? 3), extra)
}
