// The quick start's "run it": a local Kafka broker, an upstream and atkafka, with the events
// arriving in Kafka printed as they come. Offline by default: the upstream is a local relay
// replaying the recorded firehose frames (fresh seqs and times, 40 frames/s). `--live`
// subscribes to the real network (wss://bsky.network) instead. `--duration N` stops after N
// seconds; `--metrics-port N` (default 2112; 0: any free port) is where atkafka's metrics and
// status page listen; `--work-dir DIR` holds the broker's data (default .demo/kafka).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs, parseEnv } from 'node:util'
import { Admin, Consumer } from '@platformatic/kafka'
import { freePort } from '../test/helpers/free-port.ts'
import { type LiveRelay, startLiveRelay } from '../test/helpers/live-relay.ts'
import { shippedNodeFlags } from './shipped-node-flags.ts'

const { values: opts } = parseArgs({
  options: {
    live: { type: 'boolean', default: false },
    duration: { type: 'string', default: '0' },
    osprey: { type: 'boolean', default: false },
    'metrics-port': { type: 'string', default: '2112' },
    'work-dir': { type: 'string', default: '' },
  },
})
const root = join(import.meta.dirname, '..')
const work = opts['work-dir'] ? resolve(opts['work-dir']) : join(root, '.demo', 'kafka')
const say = (msg: string) => process.stderr.write(`demo: ${msg}\n`)

mkdirSync(work, { recursive: true })
execFileSync('bash', [join(root, 'scripts/kafka-broker.sh'), 'start', work, String(process.pid)], {
  stdio: 'inherit',
})
const kafka = parseEnv(readFileSync(join(work, 'env'), 'utf8')).KAFKA_BOOTSTRAP ?? ''
const topic = 'atproto-events'

let relayUrl = 'wss://bsky.network'
let relay: LiveRelay | undefined
if (!opts.live) {
  relay = await startLiveRelay({ framesPerTick: 20, tickMs: 500 })
  relayUrl = relay.url
}

/** port 0: a free one, found here so the URLs below can be printed */
const metricsPort = Number(opts['metrics-port']) || (await freePort())
const atkafka: ChildProcess = spawn(
  process.execPath,
  [
    // the V8 flags of bin/atkafka.js's shebang, which `node file` would not read
    ...shippedNodeFlags,
    join(root, 'bin/atkafka.js'),
    'firehose',
    'relay',
    '--relay-host',
    relayUrl,
    '--bootstrap-servers',
    kafka,
    '--output-topic',
    topic,
    '--metrics-address',
    `127.0.0.1:${metricsPort}`,
    '--log-level',
    'warn',
    ...(opts.osprey ? ['--osprey-compatible'] : []),
    // the recorded frames' DIDs are looked up on plc.directory only when the demo is live
    ...(opts.live ? [] : ['--event-metadata=false']),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
)

say(`Kafka broker      ${kafka} (data in ${work})`)
say(
  `upstream          ${relayUrl}${opts.live ? ' (the live network)' : ' (local relay replaying recorded frames)'}`,
)
say(
  `atkafka           pid ${atkafka.pid}, metrics http://127.0.0.1:${metricsPort}/metrics, /healthz, /readyz`,
)
say(`status page       http://127.0.0.1:${metricsPort}/ (numbers as JSON: /status.json)`)
say(`output topic      ${topic}; events below as they arrive in Kafka (Ctrl-C stops everything)`)

const consumer = new Consumer({
  groupId: `atkafka-demo-${Date.now()}`,
  clientId: 'atkafka-demo',
  bootstrapBrokers: [kafka],
  maxWaitTime: 200,
})
let stopping = false
const stop = async (code: number) => {
  if (stopping) return
  stopping = true
  atkafka.kill('SIGTERM')
  await new Promise((r) => (atkafka.exitCode === null ? atkafka.once('exit', r) : r(null)))
  await consumer.close(true).catch(() => {})
  await relay?.close()
  execFileSync('bash', [join(root, 'scripts/kafka-broker.sh'), 'stop', work], { stdio: 'inherit' })
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
atkafka.once('exit', (code) => {
  if (!stopping) {
    say(`atkafka exited with code ${code}`)
    void stop(1)
  }
})
const duration = Number(opts.duration)
if (duration > 0) setTimeout(() => void stop(0), duration * 1000)

// wait for atkafka to create the topic, then print what arrives
const admin = new Admin({ clientId: 'atkafka-demo', bootstrapBrokers: [kafka] })
while (!(await admin.listTopics()).includes(topic)) await new Promise((r) => setTimeout(r, 300))
await admin.close()
let count = 0
// the broker is new on every demo run, so the topic's beginning is this run's first event
const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
for await (const message of stream) {
  const raw = JSON.parse(message.value.toString()) as Record<string, unknown>
  const e = (opts.osprey ? (raw.data as { data: Record<string, unknown> }).data : raw) as {
    did?: string
    operation?: { action: string; path: string }
    account?: { active: boolean }
    identity?: { handle: string }
    seq?: number
  }
  const what = e.operation
    ? `${e.operation.action} ${e.operation.path}`
    : e.account
      ? `account active=${e.account.active}`
      : e.identity
        ? `identity ${e.identity.handle}`
        : 'event'
  count++
  process.stdout.write(
    `#${count} p${message.partition}@${message.offset} seq=${e.seq ?? '-'} ${e.did} ${what}\n`,
  )
}
