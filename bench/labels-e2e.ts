// labels benchmark: a labeler stand-in (registered on the real local PLC, labels signed by
// @atproto/ozone's own signLabel, one label per #labels frame as Ozone sends them) holds a
// backlog; the real atkafka CLI (`atkafka labels`, from the beginning) drains it into a real
// Kafka broker, every label verified. A run ends when Kafka holds every label. Prints labels/s
// through the pipeline (first to last produced) and, measured in this process, what verifying
// one label costs (decode of the label, its DAG-CBOR re-encoding, the ECDSA check).
// Usage: npm run bench -- labels [labels=20000] [runs=3] [extra atkafka flags...]
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { type Label, parseLabel } from '../src/sources/labels/label.ts'
import { checkSignature, importKey } from '../src/sources/labels/label-signature.ts'
import { labelsFrameDecoder } from '../src/sources/labels/labels-frame.ts'
import { startLabelerStandIn } from '../test/helpers/labeler-stand-in.ts'
import { startLocalPds } from '../test/helpers/local-pds.ts'
import {
  benchNodeFlags,
  median,
  metric,
  type RunStats,
  startBenchBroker,
  startMeasuring,
  stopBenchBroker,
} from './bench-kit.ts'

const root = join(import.meta.dirname, '..')

/** CPU µs of this process (user + system) since `from` */
const cpuUs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from)
  return d.user + d.system
}

/**
 * What verifying one label costs, in CPU time of this process (wall time means little on a
 * shared machine): parse, DAG-CBOR re-encoding and the ECDSA check (node:crypto, synchronous)
 */
async function verificationCost(labels: Label[], plcUrl: string, did: string): Promise<string> {
  const doc = (await (await fetch(`${plcUrl}/${did}`)).json()) as {
    verificationMethod: { id: string; type: string; publicKeyMultibase: string }[]
  }
  const method = doc.verificationMethod.find((m) => m.id.endsWith('#atproto_label'))!
  const key = await importKey(method)
  for (const l of labels.slice(0, 500)) await checkSignature(l, key) // warm up
  let from = process.cpuUsage()
  for (const l of labels)
    if (!(await checkSignature(parseLabel(l.raw) as Label, key)).ok) throw new Error('a label did not verify')
  const verifyUs = cpuUs(from) / labels.length
  const n = Math.min(labels.length, 2000)
  from = process.cpuUsage()
  for (let i = 0; i < n; i++) await importKey(method)
  const importUs = cpuUs(from) / n
  return `verification: ${verifyUs.toFixed(1)} CPU µs per label (${Math.round(1e6 / verifyUs)} labels per CPU second); importing the key: ${importUs.toFixed(1)} CPU µs (once per labeler and key rotation)`
}

async function bench(count: number, runs: number, extra: string[]): Promise<void> {
  const { work, env } = startBenchBroker()
  const pds = await startLocalPds()
  const labeler = await startLabelerStandIn(pds.plcUrl)
  let child: ChildProcess | undefined
  try {
    const t0 = performance.now()
    const subjects = Array.from({ length: 64 }, (_, i) => `did:plc:subject${String(i).padStart(17, '0')}`)
    for (let i = 0; i < count; i += 1000) {
      await labeler.publish(
        Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({
          uri: subjects[(i + k) % subjects.length]!,
          val: (i + k) % 7 === 0 ? '!hide' : 'spam',
          neg: (i + k) % 5 === 0,
        })),
      )
    }
    console.log(
      `backlog: ${count} labels signed with Ozone's signLabel in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    const drains: RunStats[] = []
    for (let run = 1; run <= runs; run++) {
      const port = 20_000 + Math.floor(Math.random() * 20_000)
      const topic = `bench-labels-${Date.now()}-${run}`
      child = spawn(
        process.execPath,
        [
          ...benchNodeFlags.split(' ').filter(Boolean),
          join(root, 'dist/cli/main.js'),
          'labels',
          '--labelers',
          labeler.did,
          '--plc-host',
          pds.plcUrl,
          '--bootstrap-servers',
          env.KAFKA_BOOTSTRAP ?? '',
          '--output-topic',
          topic,
          '--cursor-store',
          'none',
          '--metrics-address',
          `127.0.0.1:${port}`,
          '--log-level',
          'warn',
          ...extra,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      )
      // from the spawn: the main thread verifies labels ahead of the first produce (and answers
      // the metrics port late while it does), so a window opened at the first produced label
      // would leave most of the verification out; this one includes process start-up (~1 s)
      const measuring = startMeasuring(child.pid!)
      let produced = 0
      while (produced < count) {
        await new Promise((r) => setTimeout(r, 10))
        if (child.exitCode !== null) throw new Error(`atkafka exited with ${child.exitCode}`)
        produced = (await metric(port, 'atkafka_produced_events', 'status="ok"').catch(() => 0)) || 0
      }
      const r = measuring.done(count)
      drains.push(r)
      const refused = await metric(port, 'atkafka_dropped_events_total', 'reason="invalid_signature"')
      console.log(
        `run ${run}: ${count} labels at ${r.perSec} labels/s (process start to the last produced, ${r.seconds.toFixed(2)} s), ${r.perMainCpuSec} labels per main-thread CPU second; atkafka CPU ${r.cpuPct}% of one core, peak RSS ${r.rssPeakMb} MB; ${refused} refused`,
      )
      const running = child
      running.kill('SIGTERM')
      await new Promise((res) => running.once('exit', res))
      child = undefined
    }
    console.log(
      `median of ${runs}: ${median(drains.map((r) => r.perSec))} labels/s, ${median(drains.map((r) => r.perMainCpuSec))} per main-thread CPU second, atkafka CPU ${median(drains.map((r) => r.cpuPct))}%, peak RSS ${median(drains.map((r) => r.rssPeakMb))} MB (flags: ${extra.join(' ') || 'defaults'})`,
    )
    // the labels as the stand-in serves them, decoded as atkafka decodes them
    const decodeFrame = labelsFrameDecoder(labeler.did, { maxLabels: 1000, maxBodyBytes: 1 << 20 })
    const labels = labeler.frames.flatMap((f) =>
      decodeFrame(f, () => '').events.flatMap((e) =>
        e.kind === 'label' ? [parseLabel(e.label) as Label] : [],
      ),
    )
    console.log(await verificationCost(labels, pds.plcUrl, labeler.did))
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    await labeler.close()
    await pds.stop()
    stopBenchBroker(work)
  }
}

const [countArg, runsArg, ...extra] = process.argv.slice(2)
await bench(Number(countArg ?? 20_000), Number(runsArg ?? 3), extra)
