// ozone-events backlog benchmark: a real Ozone (on PostgreSQL) behind a real PDS holds a
// backlog of moderation events made through its API; the real atkafka CLI drains it into a real
// Kafka broker. A run ends when Kafka holds every event. Prints the drain rate (from the first
// event produced to the last, and from process start, login included) and compares it with
// the Go original, which reads one page of 100 events per second (100 events/s).
// Usage: npm run bench -- ozone [events=10000] [runs=3] [extra atkafka flags...]
import type { ChildProcess } from 'node:child_process'
import { atkafkaLogin, emitBurst, startOzoneWorld } from '../test/helpers/ozone-world.ts'
import {
  median,
  metric,
  type RunStats,
  spawnAtkafka,
  startBenchBroker,
  startMeasuring,
  stopBenchBroker,
  stopChild,
} from './bench-kit.ts'

const GO_ORIGINAL_EVENTS_PER_SECOND = 100

async function bench(count: number, runs: number, extra: string[]): Promise<void> {
  const { work, env } = startBenchBroker()
  const world = await startOzoneWorld({ users: 8 })
  const login = atkafkaLogin(world)
  let child: ChildProcess | undefined
  try {
    const t0 = performance.now()
    const made = await emitBurst(world, count, 64, 'backlog')
    const madeS = (performance.now() - t0) / 1000
    console.log(
      `backlog: ${made.length} events through Ozone's emitEvent in ${madeS.toFixed(1)} s (${Math.round(made.length / madeS)}/s)`,
    )
    const drains: RunStats[] = []
    const totals: number[] = []
    for (let run = 1; run <= runs; run++) {
      const topic = `bench-ozone-${Date.now()}-${run}`
      const started = performance.now()
      const spawned = spawnAtkafka(
        [
          'ozone-events',
          ...login.args,
          '--bootstrap-servers',
          env.KAFKA_BOOTSTRAP ?? '',
          '--output-topic',
          topic,
          '--cursor-store',
          'none',
        ],
        extra,
        { env: { ...process.env, ...login.env } },
      )
      child = spawned.child
      const { port } = spawned
      let measuring: ReturnType<typeof startMeasuring> | undefined
      let firstAt = 0
      let produced = 0
      while (produced < count) {
        await new Promise((r) => setTimeout(r, 10))
        if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
        // NaN until its metrics server answers
        produced = (await metric(port, 'atkafka_produced_events', 'status="ok"').catch(() => 0)) || 0
        if (!measuring && produced > 0) {
          measuring = startMeasuring(child.pid!)
          firstAt = produced
        }
      }
      const total = (performance.now() - started) / 1000
      if (!measuring) throw new Error('nothing produced')
      const r = measuring.done(count - firstAt)
      drains.push(r)
      totals.push(Math.round(count / total))
      const pages = await metric(
        port,
        'atkafka_handled_events',
        'action_name="ozone#modEventComment",collection=""',
      )
      console.log(
        `run ${run}: ${count} events drained at ${r.perSec} events/s (first to last produced, ${r.seconds.toFixed(2)} s), ${Math.round(count / total)} events/s from process start (${total.toFixed(2)} s, login included); ${(r.perSec / GO_ORIGINAL_EVENTS_PER_SECOND).toFixed(1)}x the Go original; atkafka CPU ${r.cpuPct}% of one core, peak RSS ${r.rssPeakMb} MB (${pages} handled)`,
      )
      await stopChild(child)
      child = undefined
    }
    const rate = median(drains.map((r) => r.perSec))
    console.log(
      `median of ${runs}: ${rate} events/s drained (${(rate / GO_ORIGINAL_EVENTS_PER_SECOND).toFixed(1)}x the Go original's ${GO_ORIGINAL_EVENTS_PER_SECOND}/s), ${median(totals)} events/s from process start, atkafka CPU ${median(drains.map((r) => r.cpuPct))}%, peak RSS ${median(drains.map((r) => r.rssPeakMb))} MB (flags: ${extra.join(' ') || 'defaults'})`,
    )
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    await world.stop()
    stopBenchBroker(work)
  }
}

const [countArg, runsArg, ...extra] = process.argv.slice(2)
await bench(Number(countArg ?? 10_000), Number(runsArg ?? 3), extra)
