// Tools for the delivery-guarantee tests: atkafka as a child process (so it can be killed -9),
// and the comparison of what Kafka holds with what the relay served, as multisets of
// (cycle, did, collection, rkey, action, cid).
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { readExpectedV1 } from './corpus.ts'
import type { FakeRelay } from './fake-relay.ts'
import { repoRoot } from './fixture-paths.ts'
import { brokerEnv, readTopic } from './kafka.ts'
import { offlineRelayArgs, waitFor } from './run-app.ts'

/** the corpus has 150 frames carrying 150 record ops (+ 1 identity + 1 account event) */
export const CORPUS_FRAMES = 150

/**
 * The flags of an atkafka child streaming `relayUrl` into `topic`, keeping its cursor in
 * `<topic>.cursors` under source id `test:<topic>`, at-least-once (the cursor saved every
 * `saveIntervalMs`) or exactly-once (a transaction every 200 ms).
 */
export function relayChildArgs(opts: {
  relayUrl: string
  topic: string
  exactlyOnce: boolean
  saveIntervalMs?: number
  bootstrap?: string
}): string[] {
  return [
    '--relay-host',
    opts.relayUrl,
    '--bootstrap-servers',
    opts.bootstrap ?? brokerEnv().bootstrap,
    '--output-topic',
    opts.topic,
    '--cursor-topic',
    `${opts.topic}.cursors`,
    '--source-id',
    `test:${opts.topic}`,
    ...(opts.exactlyOnce
      ? ['--exactly-once', '--transaction-interval-ms', '200']
      : ['--cursor-save-interval-ms', String(opts.saveIntervalMs ?? 200)]),
  ]
}

interface V1 {
  did: string
  kind: string
  commit?: { operation: string; collection: string; rkey: string; cid?: string }
}

/** one op as it is compared: did, collection, rkey, action, cid ('' for deletes) */
function opKey(did: string, collection: string, rkey: string, action: string, cid: string): string {
  return `${did} ${collection} ${rkey} ${action} ${cid}`
}

/** the ops of one pass over the corpus, from production Jetstream's view of the same events */
function corpusOps(): Map<string, number> {
  const ops = new Map<string, number>()
  for (const e of readExpectedV1() as V1[]) {
    if (e.kind !== 'commit' || !e.commit) continue
    const k = opKey(e.did, e.commit.collection, e.commit.rkey, e.commit.operation, e.commit.cid ?? '')
    ops.set(k, (ops.get(k) ?? 0) + 1)
  }
  return ops
}

export interface Comparison {
  /** ops the relay served (frames / 150 passes over the corpus) */
  readonly expected: number
  /** op messages read back */
  readonly read: number
  readonly lost: number
  readonly duplicated: number
  /** a few lost or duplicated entries, for the assertion message */
  readonly examples: string[]
}

/**
 * Compares the op messages read back with `frames` frames of resequenced corpus (seq i is
 * corpus frame (i - 1) % 150): for each pass over the corpus (seq → pass), the multiset of
 * (did, collection, rkey, action, cid) must equal the corpus's.
 */
export function compareOps(values: readonly (Buffer | string)[], frames: number): Comparison {
  const passes = Math.ceil(frames / CORPUS_FRAMES)
  if (frames % CORPUS_FRAMES !== 0) throw new Error('compareOps: frames must be whole passes over the corpus')
  const got = new Map<string, number>()
  let read = 0
  for (const v of values) {
    const e = JSON.parse(typeof v === 'string' ? v : v.toString()) as {
      did: string
      seq?: number
      operation?: { collection: string; rkey: string; action: string; cid: string }
    }
    if (!e.operation || e.seq === undefined) continue
    read++
    const pass = Math.floor((e.seq - 1) / CORPUS_FRAMES)
    const k = `${pass} ${opKey(e.did, e.operation.collection, e.operation.rkey, e.operation.action, e.operation.cid)}`
    got.set(k, (got.get(k) ?? 0) + 1)
  }
  const once = corpusOps()
  let expected = 0
  let lost = 0
  let duplicated = 0
  const examples: string[] = []
  for (let pass = 0; pass < passes; pass++) {
    for (const [op, n] of once) {
      expected += n
      const k = `${pass} ${op}`
      const g = got.get(k) ?? 0
      got.delete(k)
      if (g < n) {
        lost += n - g
        if (examples.length < 10) examples.push(`lost ${n - g}× pass ${pass}: ${op}`)
      } else if (g > n) duplicated += g - n
    }
  }
  // anything left was never served: count it as duplicated (it must not exist)
  for (const [k, n] of got) {
    duplicated += n
    if (examples.length < 10) examples.push(`unexpected ${n}×: ${k}`)
  }
  return { expected, read, lost, duplicated, examples }
}

export interface Children {
  /** starts `atkafka <command> …args` (logs at info, kept; see tail()) */
  start(args: readonly string[]): ChildProcess
  /** the last log lines of a child, for an assertion message */
  tail(child: ChildProcess, lines?: number): string
  /** resolves the exit code once the child is gone (null if a signal ended it) */
  exited(child: ChildProcess): Promise<number | null>
  /** SIGKILL and wait for the exit */
  kill9(child: ChildProcess): Promise<void>
  /** SIGTERM and wait; resolves the exit code */
  stop(child: ChildProcess): Promise<number | null>
}

/**
 * atkafka children that are all killed when the test ends, pass or fail; they run `command`
 * (default `firehose relay`, offline: no eventMetadata unless asked for) with `env` on top of
 * this process's environment
 */
export function atkafkaChildren(
  t: TestContext,
  opts: { command?: readonly string[]; env?: Record<string, string> } = {},
): Children {
  const command = opts.command ?? ['firehose', 'relay']
  const relay = command.join(' ') === 'firehose relay'
  const env = { ...process.env, ...opts.env }
  const children = new Set<ChildProcess>()
  const logs = new Map<ChildProcess, string[]>()
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  })
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
      else child.once('exit', (code) => resolve(code))
    })
  return {
    exited,
    tail(child, n = 30) {
      return (logs.get(child) ?? []).slice(-n).join('\n')
    },
    start(args) {
      const child = spawn(
        process.execPath,
        [
          join(repoRoot, 'bin', 'atkafka.js'),
          ...command,
          '--log-level',
          'info',
          ...(relay ? offlineRelayArgs(args, env) : []),
          ...args,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env },
      )
      const lines: string[] = []
      logs.set(child, lines)
      let rest = ''
      child.stdout?.setEncoding('utf8')
      child.stdout?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n')
        rest = parts.pop() ?? ''
        lines.push(...parts)
        if (lines.length > 200) lines.splice(0, lines.length - 200)
      })
      children.add(child)
      return child
    },
    async kill9(child) {
      child.kill('SIGKILL')
      await exited(child)
    },
    async stop(child) {
      child.kill('SIGTERM')
      return exited(child)
    },
  }
}

/** the seq of the last cursor saved in `<topic>.cursors` as `isolation` reads it (0: none yet) */
export async function savedCursor(
  topic: string,
  isolation: 'READ_COMMITTED' | 'READ_UNCOMMITTED',
): Promise<number> {
  const records = await readTopic(`${topic}.cursors`, { count: 1_000_000, timeoutMs: 1500, isolation })
  return (JSON.parse(records.at(-1)?.value.toString() ?? '{"seq":0}') as { seq: number }).seq
}

/**
 * `kills` runs of `atkafka firehose relay …args` on `relay`'s stream of `count` frames, each
 * SIGKILLed at a random point 1/4 to 3/4 of a span (80 % of the stream / kills) after it
 * connected: every run reads, none can be killed before it resumed. The first run starts at
 * `--cursor 0` and is killed only once `cursor()` shows a saved cursor: without one the next run
 * would start at the live head, by design. A wait that times out tells the run's last logs.
 */
export async function killAtRandomPoints(opts: {
  children: Children
  relay: FakeRelay
  args: readonly string[]
  kills: number
  count: number
  cursor: () => Promise<number>
}): Promise<void> {
  const { children, relay, args } = opts
  const waitOrTell = async (check: () => boolean | Promise<boolean>, what: string, child: ChildProcess) => {
    try {
      await waitFor(check, what, 120_000)
    } catch (err) {
      throw new Error(`${(err as Error).message}; the run's last logs:\n${children.tail(child)}`)
    }
  }
  const span = Math.floor((opts.count * 0.8) / opts.kills)
  for (let k = 0; k < opts.kills; k++) {
    const connections = relay.connections.length
    const child = children.start(k === 0 ? [...args, '--cursor', '0'] : args)
    await waitOrTell(() => relay.connections.length > connections, `run ${k} connected`, child)
    if (k === 0) await waitOrTell(async () => (await opts.cursor()) > 0, 'a first saved cursor', child)
    const target = relay.sent + Math.floor(span / 4) + Math.floor(Math.random() * (span / 2))
    await waitOrTell(() => relay.sent >= target, `relay sent ${target}`, child)
    assert.equal(
      child.exitCode,
      null,
      `run ${k} ended by itself with exit code ${child.exitCode}: ${children.tail(child)}`,
    )
    await children.kill9(child)
  }
}

/**
 * Every record value of a topic as the Apache Kafka Java consumer reads it (the reference
 * read_committed implementation; @platformatic/kafka's lets aborted records through, see
 * docs/kafka-client.md). Runs test/helpers/java/ReadTopic.java with the broker's own jars.
 */
export async function readTopicJava(
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted',
  bootstrap = brokerEnv().bootstrap,
): Promise<string[]> {
  const cache = process.env.ATKAFKA_CACHE ?? join(repoRoot, '.cache')
  const libs = join(cache, `kafka-${process.env.KAFKA_VERSION ?? '4.2.0'}`, 'libs', '*')
  const child = spawn(
    'java',
    [
      '-Xmx512m',
      '-cp',
      libs,
      join(repoRoot, 'test', 'helpers', 'java', 'ReadTopic.java'),
      bootstrap,
      topic,
      isolation,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  let rest = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) if (p !== '') lines.push(p)
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 360_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`ReadTopic.java exited ${code}: ${stderr.slice(-2000)}`)
  return lines
}

/** a loopback port free right now (for an atkafka child's --metrics-address) */

/** a metric of an atkafka child by its metrics port; undefined while it does not answer */
export async function childMetric(port: number, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })
    const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `))
    return line === undefined ? undefined : Number(line.split(' ')[1])
  } catch {
    return undefined
  }
}
