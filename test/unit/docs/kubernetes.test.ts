// docs/kubernetes.yaml, the Kubernetes example of a writer with a standby: it parses, its
// container runs a real atkafka command whose environment loads as a valid --standby
// --exactly-once configuration, its probes reach the endpoints atkafka serves on its metrics
// port, and the disruption budget covers the Deployment's pods.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { parseAllDocuments } from 'yaml'
import { loadConfig, specsFor } from '../../../src/cli/commands.ts'
import { startOpsServer } from '../../../src/metrics/http-server.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'

interface Probe {
  httpGet: { path: string; port: string | number }
  periodSeconds: number
  failureThreshold: number
}
interface Container {
  args: string[]
  env: { name: string; value: string }[]
  ports: { name: string; containerPort: number }[]
  livenessProbe: Probe
  readinessProbe: Probe
}
interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string }
  spec: {
    replicas?: number
    selector: { matchLabels: Record<string, string> }
    strategy?: { type: string; rollingUpdate: { maxSurge: number; maxUnavailable: number } }
    template?: {
      metadata: { labels: Record<string, string> }
      spec: { terminationGracePeriodSeconds: number; containers: Container[] }
    }
    minAvailable?: number
  }
}

const docs = parseAllDocuments(readFileSync(join(repoRoot, 'docs/kubernetes.yaml'), 'utf8'))
const manifests = docs.map((d) => {
  assert.deepEqual(d.errors, [], 'the YAML parses')
  return d.toJS() as Manifest
})
const deployment = manifests.find((m) => m.kind === 'Deployment')
const budget = manifests.find((m) => m.kind === 'PodDisruptionBudget')
const pod = deployment?.spec.template
const container = pod?.spec.containers[0]

test('a Deployment of two replicas that never rolls below two, and a budget keeping one through drains', () => {
  assert.deepEqual(
    manifests.map((m) => `${m.apiVersion} ${m.kind}`),
    ['apps/v1 Deployment', 'policy/v1 PodDisruptionBudget'],
  )
  assert.equal(deployment?.spec.replicas, 2)
  assert.deepEqual(deployment?.spec.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  })
  assert.deepEqual(
    deployment?.spec.selector.matchLabels,
    pod?.metadata.labels,
    'the Deployment selects its pods',
  )
  assert.deepEqual(budget?.spec.selector.matchLabels, pod?.metadata.labels, 'the budget covers the same pods')
  assert.equal(budget?.spec.minAvailable, 1)
  assert.equal(pod?.spec.containers.length, 1)
})

test('the container runs `firehose relay` with --standby and --exactly-once, every variable a real option', () => {
  assert.ok(container)
  assert.deepEqual(container.args, ['firehose', 'relay'], "the image's entrypoint is the CLI")
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]))
  const known = new Set(specsFor('relay').flatMap(([, s]) => s.env))
  for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is an option of firehose relay`)
  const config = loadConfig('relay', container.args.slice(2), env)
  assert.equal(config.standby, true)
  assert.equal(config.exactlyOnce, true, 'a paused writer is fenced only with --exactly-once')
  assert.equal(config.cursorStore, 'kafka', '--standby needs the Kafka cursor store')
  assert.ok(config.sourceId !== '', 'one source id for both replicas')
  assert.ok(
    (pod?.spec.terminationGracePeriodSeconds ?? 0) * 1000 > config.shutdownTimeoutMs,
    'the kubelet waits longer than the writer takes to drain and commit',
  )
})

test("the probes reach /healthz and /readyz on atkafka's metrics port", async () => {
  assert.ok(container)
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]))
  const { metricsAddress } = loadConfig('relay', [], env)
  const port = container.ports.find((p) => p.name === 'metrics')
  assert.equal(port?.containerPort, metricsAddress.port, 'the container port is the metrics port')
  assert.equal(metricsAddress.host, '0.0.0.0', 'listening beyond the pod loopback, for the kubelet')
  for (const probe of [container.livenessProbe, container.readinessProbe])
    assert.ok(probe.httpGet.port === 'metrics' || probe.httpGet.port === metricsAddress.port)
  assert.equal(container.livenessProbe.httpGet.path, '/healthz')
  assert.equal(container.readinessProbe.httpGet.path, '/readyz')
  // the paths answer on atkafka's ops server (a path it does not serve is 404): /healthz 200,
  // /readyz 200 or 503 as the instance is ready or not
  let ready = false
  const server = await startOpsServer(
    { host: '127.0.0.1', port: 0 },
    { registry: new Registry(), ready: () => ready, routes: {} },
    pino({ level: 'silent' }),
  )
  try {
    const get = async (path: string) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).status
    assert.equal(await get(container.livenessProbe.httpGet.path), 200)
    assert.equal(await get(container.readinessProbe.httpGet.path), 503)
    ready = true
    assert.equal(await get(container.readinessProbe.httpGet.path), 200)
    assert.equal(await get('/not-served'), 404)
  } finally {
    await server.close()
  }
})
