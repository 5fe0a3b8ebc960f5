// Stopping atkafka the way a service supervisor does: systemd (KillMode=control-group) and
// `kill -TERM -- -PGID` send SIGTERM to every process of the group at once, so under `npx`
// npm, its `sh -c` and atkafka's node all get it, and npm and sh die while atkafka drains.
// atkafka runs under subreaper.py (a supervisor stand-in that reaps every process of the group,
// so the exit code of atkafka is known even when npm started it), reads the 150 corpus frames
// from a fake relay, and looks up every DID in a PLC that holds those lookups: atkafka is still
// draining when the group is signalled, and the lookups are released only once the test has
// seen the drain begin (and, under npm, atkafka notice that npm is gone), so a drain that does
// not survive that is seen to fail.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { readCorpusFrames, readCorpusManifest, readExpectedV1 } from './corpus.ts'
import { CORPUS_FRAMES, compareOps } from './delivery.ts'
import { startFakeIdentity } from './fake-identity.ts'
import { startFakeRelay } from './fake-relay.ts'
import { repoRoot } from './fixture-paths.ts'
import { resequenced } from './frame-tools.ts'
import { freePort } from './free-port.ts'
import { brokerEnv, createTopic, readTopic, uniqueTopic } from './kafka.ts'
import { waitFor } from './run-app.ts'

const subreaper = join(repoRoot, 'test', 'helpers', 'subreaper.py')

/** one process of the group, as the supervisor reaped it */
interface Reaped {
  readonly pid: number
  readonly code?: number
  readonly signal?: number
}

export interface GroupStop {
  /** everything the group wrote to stdout and stderr */
  readonly output: string
  /** the node process running atkafka, as reaped */
  readonly atkafka: Reaped
  /** every process of the group, as reaped (under npx: npm, sh and node) */
  readonly reaped: readonly Reaped[]
  /** the values the output topic holds */
  readonly values: readonly Buffer[]
}

/** the pid of the node process running atkafka with this metrics port (npx runs it two levels down) */
export function atkafkaPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    if (/(^|\/)node$/.test(argv[0] ?? '') && argv.includes(`127.0.0.1:${port}`)) return Number(entry)
  }
  return undefined
}

/** the environment without npm's npm_* variables (set when the tests run under `npm test`) */
export function withoutNpmEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('npm_')))
}

async function metricValue(port: number, name: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined)
  if (!res?.ok) return undefined
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

/**
 * Runs `command …args firehose relay …` as a process group under the supervisor stand-in,
 * signals the group with SIGTERM mid-drain, and returns how every process ended and what
 * Kafka holds.
 */
export async function stopByGroupSigterm(
  t: TestContext,
  way: {
    readonly command: string
    readonly args: readonly string[]
    readonly env: NodeJS.ProcessEnv
    /** default: the checkout */
    readonly cwd?: string
  },
): Promise<GroupStop> {
  const manifest = readCorpusManifest()
  // seqs 1…150, as compareOps counts them
  const relay = await startFakeRelay({ frames: resequenced(readCorpusFrames(), CORPUS_FRAMES, 1) })
  t.after(() => relay.close())
  const identity = await startFakeIdentity()
  t.after(() => identity.close())
  const dids = new Set((readExpectedV1() as { did: string }[]).map((e) => e.did))
  for (const did of dids) identity.hold.add(did)
  const topic = uniqueTopic('group-stop')
  await createTopic(topic, 1)
  const port = await freePort()

  const child: ChildProcess = spawn(
    'python3',
    [
      subreaper,
      way.command,
      ...way.args,
      'firehose',
      'relay',
      '--relay-host',
      relay.url,
      '--cursor',
      '0',
      '--cursor-store',
      'none',
      '--bootstrap-servers',
      brokerEnv().bootstrap,
      '--output-topic',
      topic,
      '--metrics-address',
      `127.0.0.1:${port}`,
      '--plc-host',
      identity.url,
      // the held lookups end when the test releases them, not on a deadline
      '--identity-timeout-ms',
      '300000',
      '--shutdown-timeout-ms',
      '300000',
    ],
    { cwd: way.cwd ?? repoRoot, env: way.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString()
  })
  let reports = ''
  const reportStream = child.stdio[3] as NodeJS.ReadableStream
  reportStream.on('data', (d: Buffer) => {
    reports += d.toString()
  })
  const supervisorDone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const parsed = () =>
    reports
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Reaped & { started?: number })
  let group: number | undefined
  t.after(async () => {
    // nothing of it may outlive the test, whatever happened
    if (group !== undefined)
      try {
        process.kill(-group, 'SIGKILL')
      } catch {}
    child.kill('SIGKILL')
    await supervisorDone
  })
  await waitFor(
    () => parsed().some((r) => r.started !== undefined),
    `the supervisor to start ${way.command} (${output.slice(0, 500)})`,
  )
  group = parsed().find((r) => r.started !== undefined)!.started!

  // every frame read, every event waiting for its held lookup
  await waitFor(
    async () => (await metricValue(port, 'atkafka_upstream_seq')) === CORPUS_FRAMES,
    `atkafka to read the whole corpus (${output.slice(-2000)})`,
    120_000,
  )
  const pid = atkafkaPid(port)
  if (pid === undefined) throw new Error(`no atkafka process serving ${port}`)

  process.kill(-group, 'SIGTERM')
  await waitFor(
    () => output.includes('shutting down: draining'),
    `the drain to begin (${output.slice(-2000)})`,
  )
  if (way.command === 'npx')
    await waitFor(
      () => output.includes('the npm process that started atkafka is gone'),
      `atkafka to notice npm is gone (${output.slice(-2000)})`,
    )
  for (const did of dids) identity.release(did)
  await waitFor(
    () => child.exitCode !== null || child.signalCode !== null,
    'every process of the group to end',
    120_000,
  )
  await supervisorDone

  const reaped = parsed().filter((r) => r.started === undefined)
  const atkafka = reaped.find((r) => r.pid === pid)
  if (atkafka === undefined) throw new Error(`atkafka (pid ${pid}) was not reaped: ${reports}`)
  const values = (
    await readTopic(topic, { count: manifest.v1_events + 1, timeoutMs: 20_000, idleMs: 3_000 })
  ).map((m) => m.value)
  return { output, atkafka, reaped, values }
}

/**
 * atkafka drained and exited 0 with the "stopped" line, and Kafka holds exactly what the relay
 * sent: the corpus's 150 record operations (none lost, none twice), its #identity and #account
 */
export function assertStoppedCleanly(stop: GroupStop, startedByNpm: boolean): void {
  const tail = stop.output.slice(-3000)
  assert.deepEqual(stop.atkafka, { pid: stop.atkafka.pid, code: 0 }, `atkafka's exit: ${tail}`)
  assert.match(stop.output, /"msg":"stopped"/, 'it drained and logged "stopped"')
  assert.doesNotMatch(stop.output, /second signal/, 'nothing counted as a second signal')
  if (startedByNpm) assert.match(stop.output, /the npm process that started atkafka is gone/)
  const ops = compareOps(stop.values, CORPUS_FRAMES)
  assert.deepEqual(
    { read: ops.read, lost: ops.lost, duplicated: ops.duplicated },
    { read: ops.expected, lost: 0, duplicated: 0 },
    ops.examples.join('\n'),
  )
  const kinds = stop.values.map((v) => {
    const e = JSON.parse(v.toString()) as Record<string, unknown>
    return ['operation', 'identity', 'account'].find((k) => e[k] !== undefined && e[k] !== null)
  })
  assert.deepEqual(
    {
      total: kinds.length,
      identity: kinds.filter((k) => k === 'identity').length,
      account: kinds.filter((k) => k === 'account').length,
    },
    { total: ops.expected + 2, identity: 1, account: 1 },
  )
}
