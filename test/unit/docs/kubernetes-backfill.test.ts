// docs/kubernetes-backfill.yaml, the fleet on Kubernetes: it parses; the planner Job, the
// workers' Deployment and the live writer's each run a real atkafka command whose environment
// loads as a valid configuration of it; the three agree on the work topic, the group and the
// output; the writer has the standby lease and the seam; the probes are atkafka's endpoints.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { loadConfig, specsFor } from '../../../src/cli/commands.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'

interface Container {
  args: string[]
  env: { name: string; value: string }[]
  ports?: { name: string; containerPort: number }[]
  livenessProbe?: { httpGet: { path: string; port: string } }
  readinessProbe?: { httpGet: { path: string; port: string } }
}
interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string }
  spec: {
    replicas?: number
    selector?: { matchLabels: Record<string, string> }
    template?: {
      metadata: { labels: Record<string, string> }
      spec: { restartPolicy?: string; terminationGracePeriodSeconds?: number; containers: Container[] }
    }
    minAvailable?: number
  }
}

const manifests = parseAllDocuments(
  readFileSync(join(repoRoot, 'docs/kubernetes-backfill.yaml'), 'utf8'),
).map((d) => {
  assert.deepEqual(d.errors, [], 'the YAML parses')
  return d.toJS() as Manifest
})
const byName = (name: string) => {
  const m = manifests.find((x) => x.metadata.name === name)
  assert.ok(m, name)
  return m
}
const containerOf = (m: Manifest) => {
  const c = m.spec.template?.spec.containers[0]
  assert.ok(c, m.metadata.name)
  return c
}
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value]))

const plan = byName('atkafka-backfill-plan')
const workers = byName('atkafka-backfill-workers')
const live = byName('atkafka-live')

test('one planner Job, a Deployment of workers, a live writer with a standby and its budget', () => {
  assert.deepEqual(
    manifests.map((m) => `${m.apiVersion} ${m.kind} ${m.metadata.name}`),
    [
      'batch/v1 Job atkafka-backfill-plan',
      'apps/v1 Deployment atkafka-backfill-workers',
      'apps/v1 Deployment atkafka-live',
      'policy/v1 PodDisruptionBudget atkafka-live',
    ],
  )
  assert.equal(plan.spec.template?.spec.restartPolicy, 'OnFailure', 'a failed planner resumes')
  assert.ok((workers.spec.replicas ?? 0) > 1)
  assert.equal(live.spec.replicas, 2)
  for (const m of [workers, live])
    assert.deepEqual(m.spec.selector?.matchLabels, m.spec.template?.metadata.labels, m.metadata.name)
  assert.equal(manifests[3]?.spec.minAvailable, 1)
  assert.deepEqual(manifests[3]?.spec.selector?.matchLabels, live.spec.template?.metadata.labels)
})

test('each container runs its command with real options, and the three agree', () => {
  for (const [m, command, args] of [
    [plan, 'backfill-plan', ['backfill', 'plan']],
    [workers, 'backfill-work', ['backfill', 'work']],
    [live, 'relay', ['firehose', 'relay']],
  ] as const) {
    const c = containerOf(m)
    assert.deepEqual(c.args, args, m.metadata.name)
    const known = new Set(specsFor(command).flatMap(([, s]) => s.env))
    for (const name of Object.keys(envOf(c))) assert.ok(known.has(name), `${name} is an option of ${command}`)
  }
  const p = loadConfig('backfill-plan', [], envOf(containerOf(plan)))
  const w = loadConfig('backfill-work', [], envOf(containerOf(workers)))
  const l = loadConfig('relay', [], envOf(containerOf(live)))
  assert.equal(w.backfillWorkTopic, p.backfillWorkTopic, 'the workers read what the planner writes')
  assert.equal(l.backfillSeam, p.backfillWorkTopic, 'live goes on where this backfill ends')
  assert.equal(l.backfillSeamGroup, w.backfillGroup, 'live waits for these workers')
  assert.equal(l.backfillSeamStart, 'done', 'the example goes live with no record twice')
  assert.equal(l.outputTopic, w.outputTopic, 'live and backfill write one topic')
  assert.equal(
    new URL(l.relayHost).host,
    new URL(p.backfillRelayHost).host,
    'live reads the relay planned from',
  )
  assert.equal(l.onOutdatedCursor, 'stop', 'a seq past the relay window is no silent gap')
  assert.equal(l.standby, true)
  assert.equal(l.exactlyOnce, true)
  assert.ok(
    p.backfillPartitions >= (workers.spec.replicas ?? 0),
    'a work partition for every worker at least',
  )
  for (const m of [workers, live]) {
    const c = containerOf(m)
    const { metricsAddress } = m === live ? l : w
    assert.equal(c.ports?.find((x) => x.name === 'metrics')?.containerPort, metricsAddress.port)
    assert.equal(metricsAddress.host, '0.0.0.0')
    assert.equal(c.livenessProbe?.httpGet.path, '/healthz')
    assert.equal(c.readinessProbe?.httpGet.path, '/readyz')
    assert.ok(
      (m.spec.template?.spec.terminationGracePeriodSeconds ?? 0) * 1000 >
        (m === live ? l.shutdownTimeoutMs : 10_000),
    )
  }
})
