// Peak RSS of the atkafka process (the shipped CLI, its V8 flags) on the inputs of issue #16,
// through a real Kafka broker, each case checked for its outcome before its number is printed:
//   burst      records of ~950 KB (random: compression cannot shrink them) from 8 DIDs over 4
//              partitions, every one read back once (at-least-once and --exactly-once)
//   nearframe  frames just under the 8 MiB frame limit holding multi-megabyte records and
//              arrays (strings, integers, empty maps), with a canary commit after each
//   worst      frames just under the lexicon limit (2 MB of blocks) of the records that take the
//              most heap per byte (arrays of empty maps, of integers), dead-lettered
//   oversized  a 9 MiB frame between valid commits: skipped, counted, 2 connections
// Usage: npm run bench -- bytes [case...] [--count N (burst)] [--worst-record-bytes N] [-- extra atkafka flags]
// (KAFKA_BOOTSTRAP set: that broker is used instead of a throwaway one.)
import type { ChildProcess } from 'node:child_process'
import { startFakeIdentity } from '../test/helpers/fake-identity.ts'
import { type FakeRelay, startFakeRelay } from '../test/helpers/fake-relay.ts'
import { bigRecord, type CommitOp, commitFrame, postFrame, resequenced } from '../test/helpers/frame-tools.ts'
import { createTopic, readTopic } from '../test/helpers/kafka.ts'
import {
  benchNodeFlags,
  metric,
  procStats,
  spawnAtkafka,
  startBenchBroker,
  stopBenchBroker,
  stopChild,
} from './bench-kit.ts'

const args = process.argv.slice(2)
const dash = args.indexOf('--')
const extra = dash < 0 ? [] : args.slice(dash + 1)
const own = dash < 0 ? args : args.slice(0, dash)
const option = (name: string, fallback: number) => {
  const at = own.indexOf(name)
  return at < 0 ? fallback : Number(own[at + 1])
}
const burstCount = option('--count', 500)
const worstRecordBytes = option('--worst-record-bytes', 1_990_000)
const cases = own.filter((a, i) => !a.startsWith('--') && !own[i - 1]?.startsWith('--'))
const all = ['burst', 'burst-eos', 'nearframe', 'worst', 'oversized']
const chosen = cases.length > 0 ? cases : all

const broker = process.env.KAFKA_BOOTSTRAP ? undefined : startBenchBroker()
if (broker) Object.assign(process.env, broker.env)
const plc = extra.includes('--event-metadata') ? await startFakeIdentity() : undefined
const withPlc = plc && !extra.includes('--plc-host') ? [...extra, '--plc-host', plc.url] : extra

interface Outcome {
  readonly name: string
  readonly rssPeakMb: number
  readonly seconds: number
  readonly detail: string
}

/** runs the CLI against `relay` until `done(port)`, then stops it; peak RSS from /proc (VmHWM) */
async function runAtkafka(
  relay: FakeRelay,
  topic: string,
  flags: readonly string[],
  done: (port: number) => Promise<boolean>,
): Promise<{ rssPeakMb: number; seconds: number; port: number; child: ChildProcess }> {
  const { child, port } = spawnAtkafka(
    [
      'firehose',
      'relay',
      '--relay-host',
      relay.url,
      '--cursor',
      '0',
      '--bootstrap-servers',
      process.env.KAFKA_BOOTSTRAP ?? '',
      '--output-topic',
      topic,
    ],
    [
      ...flags,
      // relay mode looks identities up by default: only when the case asks (against a loopback PLC)
      ...(withPlc.includes('--event-metadata') ? [] : ['--event-metadata=false']),
      ...withPlc,
    ],
    { logLevel: 'error' },
  )
  const started = performance.now()
  for (;;) {
    await new Promise((r) => setTimeout(r, 50))
    if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
    if (await done(port).catch(() => false)) break
  }
  const seconds = (performance.now() - started) / 1000
  const { rssPeakMb } = procStats(child.pid!)
  return { rssPeakMb: Math.round(rssPeakMb), seconds, port, child }
}

const cursorAt =
  (seq: number, name = 'atkafka_cursor_seq') =>
  async (port: number) =>
    (await metric(port, name)) >= seq

async function burst(exactlyOnce: boolean): Promise<Outcome> {
  const templates: Uint8Array[] = []
  for (let i = 0; i < 8; i++) {
    templates.push(
      await commitFrame({
        seq: 1,
        repo: `did:plc:burst${i}aaaaaaaaaaaaaaaaaa`,
        ops: [{ action: 'create', path: `app.bsky.feed.post/big${i}`, record: bigRecord(950_000, 'random') }],
      }),
    )
  }
  const relay = await startFakeRelay({ frames: resequenced(templates, burstCount, 1) })
  const topic = `bench-bytes-burst-${Date.now()}`
  await createTopic(topic, 4)
  const flags = exactlyOnce
    ? [
        '--exactly-once',
        '--cursor-store',
        'kafka',
        '--cursor-topic',
        `${topic}.cursors`,
        '--source-id',
        `bench:${topic}`,
      ]
    : ['--cursor-store', 'none']
  const r = await runAtkafka(
    relay,
    topic,
    flags,
    cursorAt(burstCount, exactlyOnce ? 'atkafka_committed_cursor_seq' : 'atkafka_cursor_seq'),
  )
  await stopChild(r.child)
  await relay.close()
  const got = await readTopic(topic, {
    count: burstCount + 100,
    timeoutMs: 120_000,
    idleMs: 5000,
    ...(exactlyOnce ? { isolation: 'READ_COMMITTED' as const } : {}),
  })
  const seqs = new Set(got.map((m) => (JSON.parse(m.value.toString()) as { seq: number }).seq))
  if (got.length !== burstCount || seqs.size !== burstCount) {
    throw new Error(`burst: ${got.length} messages, ${seqs.size} distinct seqs, for ${burstCount} records`)
  }
  return {
    name: exactlyOnce ? 'burst, --exactly-once' : 'burst',
    ...r,
    detail: `${burstCount} records of 950,000 bytes, 4 partitions: ${got.length} read back${exactlyOnce ? ' (read_committed)' : ''}, each once`,
  }
}

const canary = (seq: number) => postFrame(seq)

/** a stream of big frames (made on demand from a few templates) with a canary after each */
async function stream(
  name: string,
  bigFrames: readonly Uint8Array[],
  rounds: number,
  expect: { reason: string; perBig: number },
): Promise<Outcome> {
  const frames: Uint8Array[] = []
  for (const big of bigFrames) frames.push(big, await canary(1))
  const window = resequenced(frames, frames.length * rounds, 1)
  const last = window.length
  const relay = await startFakeRelay({ frames: window })
  const topic = `bench-bytes-${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}`
  await createTopic(topic, 1)
  const r = await runAtkafka(relay, topic, ['--cursor-store', 'none'], cursorAt(last))
  const dropped = await metric(r.port, 'atkafka_dropped_events_total', `reason="${expect.reason}"`)
  const ok = await metric(r.port, 'atkafka_produced_events', 'status="ok"')
  await stopChild(r.child)
  await relay.close()
  const bigs = last / 2
  if (dropped !== bigs * expect.perBig || ok !== bigs) {
    throw new Error(
      `${name}: ${dropped} ${expect.reason} drops and ${ok} canaries produced, for ${bigs} big frames`,
    )
  }
  const mb = (bigFrames.reduce((n, f) => n + f.length, 0) / bigFrames.length / 1e6).toFixed(2)
  return {
    name,
    ...r,
    detail: `${bigs} frames of ~${mb} MB: ${dropped} ${expect.reason}, ${ok} canaries in Kafka`,
  }
}

async function nearFrame(): Promise<Outcome> {
  const near = 8 * 1024 * 1024 - 8192
  const big: Uint8Array[] = []
  for (const shape of ['random', 'ints', 'maps'] as const) {
    big.push(
      await commitFrame({
        seq: 1,
        ops: [{ action: 'create', path: 'app.bsky.feed.post/big', record: bigRecord(near - 2000, shape) }],
      }),
    )
    const ops: CommitOp[] = Array.from({ length: 4 }, (_, i) => ({
      action: 'create',
      path: `app.bsky.feed.post/big${i}`,
      record: bigRecord(Math.floor(near / 4) - 2000, shape),
    }))
    big.push(await commitFrame({ seq: 1, ops }))
  }
  return stream('frames just under the frame limit', big, 8, { reason: 'lexicon_limit', perBig: 1 })
}

async function worst(): Promise<Outcome> {
  // as many records of worstRecordBytes as the lexicon's 2,000,000 bytes of blocks hold
  const perFrame = Math.max(1, Math.floor(1_990_000 / worstRecordBytes))
  const big: Uint8Array[] = []
  for (const shape of ['maps', 'ints'] as const) {
    const ops: CommitOp[] = Array.from({ length: perFrame }, (_, i) => ({
      action: 'create',
      path: `app.bsky.feed.post/worst${i}`,
      record: bigRecord(worstRecordBytes, shape),
    }))
    big.push(await commitFrame({ seq: 1, ops }))
  }
  return stream('frames just under the lexicon limit, worst-case records', big, 20, {
    reason: 'oversized_message',
    perBig: perFrame,
  })
}

async function oversized(): Promise<Outcome> {
  const frames: Uint8Array[] = []
  for (let seq = 1; seq <= 200; seq++) {
    if (seq === 100) {
      frames.push(
        await commitFrame({
          seq,
          ops: [
            {
              action: 'create',
              path: 'app.bsky.feed.post/huge',
              record: bigRecord(9 * 1024 * 1024, 'random'),
            },
          ],
        }),
      )
    } else frames.push(await canary(seq))
  }
  const relay = await startFakeRelay({ frames })
  const topic = `bench-bytes-oversized-${Date.now()}`
  await createTopic(topic, 1)
  const r = await runAtkafka(relay, topic, ['--cursor-store', 'none'], cursorAt(200))
  const status = (await (await fetch(`http://127.0.0.1:${r.port}/status.json`)).json()) as {
    dropped: Record<string, number>
    upstream: { errors: Record<string, number>; reconnects: number }
  }
  await stopChild(r.child)
  await relay.close()
  const connections = relay.connections.map((c) => c.cursor).join(', ')
  if (status.dropped.oversized_frame !== 1 || relay.connections.length !== 2) {
    throw new Error(`oversized: ${JSON.stringify(status.dropped)}, connections with cursors ${connections}`)
  }
  return {
    name: 'oversized frame (9 MiB) between valid commits',
    ...r,
    detail: `status page: dropped.oversized_frame=${status.dropped.oversized_frame}, upstream.errors.FrameTooLarge=${status.upstream.errors.FrameTooLarge}, reconnects=${status.upstream.reconnects}; connections at cursors ${connections}`,
  }
}

const runners: Record<string, () => Promise<Outcome>> = {
  burst: () => burst(false),
  'burst-eos': () => burst(true),
  nearframe: nearFrame,
  worst,
  oversized,
}

const results: Outcome[] = []
try {
  for (const name of chosen) {
    const run = runners[name]
    if (!run) throw new Error(`unknown case ${name}; cases: ${all.join(' ')}`)
    const r = await run()
    results.push(r)
    console.log(`${r.name}: peak RSS ${r.rssPeakMb} MB in ${r.seconds.toFixed(1)} s — ${r.detail}`)
  }
} finally {
  if (broker) stopBenchBroker(broker.work)
  await plc?.close()
}
console.log(
  `\npeak RSS (VmHWM of the atkafka process; node ${benchNodeFlags}; flags: ${extra.join(' ') || 'defaults'})`,
)
for (const r of results) console.log(`  ${r.rssPeakMb.toString().padStart(5)} MB  ${r.name}`)
