// End-to-end backfill benchmark: repos recorded from the real local PDS (getRepo CARs), served
// from memory by a stand-in PDS, copied by one real `atkafka backfill work` process into a real
// broker. Prints records/s of the worker process, its CPU and records per main-thread CPU second
// (the figure to compare on a busy machine), and peak RSS.
// Usage: npm run bench -- backfill [accounts=20] [records per account=2000] [runs=3] [extra worker flags...]
// The recorded CARs are kept under $ATKAFKA_CACHE/bench-backfill/ (recording 40 repos of 5,000
// records takes minutes), keyed by the repo counts and the world helper's source.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { populate } from '../test/helpers/backfill-world.ts'
import { recordCar, startFakePds } from '../test/helpers/fake-pds.ts'
import { startLocalPds } from '../test/helpers/local-pds.ts'
import { PdsClient } from '../test/helpers/pds-client.ts'
import {
  benchNodeFlags,
  benchRoots,
  measureUntil,
  medians,
  type RunStats,
  rootLabel,
  seriesValue,
  spawnAtkafka,
  startBenchBroker,
  stopBenchBroker,
  stopChild,
  threadCpu,
} from './bench-kit.ts'

const root = join(import.meta.dirname, '..')

async function cli(args: string[], env: Record<string, string | undefined>): Promise<string> {
  const child = spawn(process.execPath, [join(benchRoots[0]!, 'dist/cli/main.js'), ...args], {
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

/** the recorded repos of this size: from the cache, else recorded from a fresh local PDS and cached */
async function recordedRepos(
  accounts: number,
  perAccount: number,
): Promise<{ cars: Map<string, Uint8Array>; total: number }> {
  const world = createHash('sha256')
    .update(readFileSync(join(import.meta.dirname, '../test/helpers/backfill-world.ts')))
    .digest('hex')
    .slice(0, 12)
  const cache = process.env.ATKAFKA_CACHE ?? join(root, '.cache')
  const dir = join(cache, 'bench-backfill', `${accounts}x${perAccount}-${world}`)
  const cars = new Map<string, Uint8Array>()
  try {
    const { total } = JSON.parse(readFileSync(join(dir, 'repos.json'), 'utf8')) as { total: number }
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.car'))
        cars.set(decodeURIComponent(name.slice(0, -4)), readFileSync(join(dir, name)))
    }
    if (cars.size === accounts) return { cars, total }
    cars.clear()
  } catch {
    // not cached (or not complete): record it
  }
  const pds = await startLocalPds()
  let total = 0
  try {
    const made = await populate(new PdsClient(pds.pdsUrl), accounts, () => perAccount)
    total = made.records.size
    for (const s of made.sessions) cars.set(s.did, await recordCar(pds.pdsUrl, s.did))
  } finally {
    await pds.stop()
  }
  // written to a temporary folder and renamed: a cache folder is complete or absent
  const tmp = `${dir}.tmp-${process.pid}`
  mkdirSync(tmp, { recursive: true })
  for (const [did, car] of cars) writeFileSync(join(tmp, `${encodeURIComponent(did)}.car`), car)
  writeFileSync(join(tmp, 'repos.json'), JSON.stringify({ accounts, perAccount, total }))
  renameSync(tmp, dir)
  return { cars, total }
}

async function bench(accounts: number, perAccount: number, runs: number, extra: string[]): Promise<void> {
  const t0 = performance.now()
  const fake = await startFakePds()
  const { cars, total } = await recordedRepos(accounts, perAccount)
  let carBytes = 0
  for (const [did, car] of cars) {
    fake.cars.set(did, car)
    carBytes += car.length
  }
  process.stderr.write(
    `bench: ${accounts} repos, ${total} records, ${Math.round(carBytes / 1024)} KiB of CAR ready in ${Math.round((performance.now() - t0) / 1000)} s\n`,
  )
  const { work, env } = startBenchBroker()
  const results = new Map<string, RunStats[]>(benchRoots.map((r) => [r, []]))
  try {
    const bootstrap = ['--bootstrap-servers', env.KAFKA_BOOTSTRAP!]
    for (let run = 1; run <= runs; run++)
      for (const tree of benchRoots) {
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
          { env: { ...process.env, ...env }, root: tree },
        )
        const measuring = await measureUntil(child, port, {
          started: (lines) => seriesValue(lines, 'atkafka_backfill_records_total') > 0,
          progress: (lines) => seriesValue(lines, 'atkafka_backfill_records_total'),
          finished: (lines) =>
            seriesValue(lines, 'atkafka_backfill_items_total', 'outcome="done"') >= accounts,
          end: total,
        })
        const stats = measuring.done(total)
        const threads = threadCpu(child.pid!)
        results.get(tree)!.push(stats)
        await stopChild(child)
        process.stderr.write(
          `run ${run}${rootLabel(tree)}: ${stats.perSec} records/s, CPU ${stats.cpuPct}%, ${stats.perMainCpuSec} records per main-thread CPU s (${Math.round(1e6 / stats.perMainCpuSec)} us/record), peak RSS ${stats.rssPeakMb} MB; threads ${threads}\n`,
        )
      }
  } finally {
    await fake.close()
    stopBenchBroker(work)
  }
  for (const [tree, rs] of results) {
    const m = medians(rs)
    process.stdout.write(
      `median of ${runs}${rootLabel(tree)}: ${m.perSec} records/s, CPU ${m.cpuPct}%, records per main-thread CPU s ${m.perMainCpuSec}, peak RSS ${m.rssPeakMb} MB (${accounts} repos of ${perAccount} records; node ${benchNodeFlags})\n`,
    )
  }
}

const [accounts = '20', perAccount = '2000', runs = '3', ...extra] = process.argv.slice(2)
await bench(Number(accounts), Number(perAccount), Number(runs), extra)
