// End-to-end backfill benchmark: repos recorded from the real local PDS (getRepo CARs), served
// from memory by a stand-in PDS, copied by one real `atkafka backfill work` process into a real
// broker. Prints records/s of the worker process, its CPU and records per main-thread CPU second
// (the figure to compare on a busy machine), and peak RSS.
// Usage: npm run bench -- backfill [accounts=20] [records per account=2000] [runs=3] [extra worker flags...]
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { populate } from '../test/helpers/backfill-world.ts'
import { recordCar, startFakePds } from '../test/helpers/fake-pds.ts'
import { startLocalPds } from '../test/helpers/local-pds.ts'
import { PdsClient } from '../test/helpers/pds-client.ts'
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
  threadCpu,
} from './bench-kit.ts'

const root = join(import.meta.dirname, '..')

async function cli(args: string[], env: Record<string, string | undefined>): Promise<string> {
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  })
  let out = ''
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString()
  })
  const code = await new Promise<number | null>((r) => child.once('exit', r))
  if (code !== 0) throw new Error(`atkafka ${args.slice(0, 2).join(' ')} exited ${code}`)
  return out
}

async function bench(accounts: number, perAccount: number, runs: number, extra: string[]): Promise<void> {
  const t0 = performance.now()
  const pds = await startLocalPds()
  const fake = await startFakePds()
  let total = 0
  let carBytes = 0
  try {
    const made = await populate(new PdsClient(pds.pdsUrl), accounts, () => perAccount)
    total = made.records.size
    for (const s of made.sessions) {
      const car = await recordCar(pds.pdsUrl, s.did)
      fake.cars.set(s.did, car)
      carBytes += car.length
    }
  } finally {
    await pds.stop()
  }
  process.stderr.write(
    `bench: ${accounts} repos, ${total} records, ${Math.round(carBytes / 1024)} KiB of CAR recorded in ${Math.round((performance.now() - t0) / 1000)} s\n`,
  )
  const { work, env } = startBenchBroker()
  const results: RunStats[] = []
  try {
    const bootstrap = ['--bootstrap-servers', env.KAFKA_BOOTSTRAP!]
    for (let run = 1; run <= runs; run++) {
      const topic = `bench-backfill-${Date.now()}-${run}`
      await cli(
        [
          'backfill',
          'plan',
          ...bootstrap,
          '--backfill-work-topic',
          topic,
          '--backfill-pds-hosts',
          fake.url,
          '--backfill-partitions',
          '16',
        ],
        {
          ...process.env,
          ...env,
        },
      )
      const { child, port } = spawnAtkafka(
        [
          'backfill',
          'work',
          ...bootstrap,
          '--backfill-work-topic',
          topic,
          '--output-topic',
          `${topic}-out`,
          '--backfill-group',
          topic,
          '--backfill-host-rate',
          '0',
          '--backfill-host-concurrency',
          '16',
        ],
        extra,
        { env: { ...process.env, ...env } },
      )
      let measuring: ReturnType<typeof startMeasuring> | undefined
      let done = 0
      while (done < accounts) {
        await new Promise((r) => setTimeout(r, 50))
        const records = await metric(port, 'atkafka_backfill_records_total').catch(() => Number.NaN)
        if (!measuring && records > 0) measuring = startMeasuring(child.pid!)
        done = await metric(port, 'atkafka_backfill_items_total', 'outcome="done"').catch(() => 0)
      }
      const stats = measuring!.done(total)
      const threads = threadCpu(child.pid!)
      results.push(stats)
      await stopChild(child)
      process.stderr.write(
        `run ${run}: ${stats.perSec} records/s, CPU ${stats.cpuPct}%, ${stats.perMainCpuSec} records per main-thread CPU s (${Math.round(1e6 / stats.perMainCpuSec)} us/record), peak RSS ${stats.rssPeakMb} MB; threads ${threads}\n`,
      )
    }
  } finally {
    await fake.close()
    stopBenchBroker(work)
  }
  const m = medians(results)
  process.stdout.write(
    `median of ${runs}: ${m.perSec} records/s, CPU ${m.cpuPct}%, records per main-thread CPU s ${m.perMainCpuSec}, peak RSS ${m.rssPeakMb} MB (${accounts} repos of ${perAccount} records; node ${benchNodeFlags})\n`,
  )
}

const [accounts = '20', perAccount = '2000', runs = '3', ...extra] = process.argv.slice(2)
await bench(Number(accounts), Number(perAccount), Number(runs), extra)
