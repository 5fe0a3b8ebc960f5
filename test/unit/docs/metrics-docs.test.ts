import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createMetrics } from '../../../src/app-metrics.ts'
import { atkafkaMetrics, metricsMarkdown } from '../../../src/cli/metrics-docs.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'

test('docs/metrics.md is what the metrics registry generates (run `npm run docs`)', async () => {
  const onDisk = readFileSync(join(repoRoot, 'docs/metrics.md'), 'utf8')
  assert.equal(onDisk, await metricsMarkdown())
})

test('every atkafka_* series of the registry is documented, and only those', async () => {
  const onDisk = readFileSync(join(repoRoot, 'docs/metrics.md'), 'utf8')
  const registered = (await createMetrics().registry.getMetricsAsJSON())
    .map((m) => m.name)
    .filter((n) => n.startsWith('atkafka_'))
  const documented = [...onDisk.matchAll(/^\| `(atkafka_[a-z_]+)` \|/gm)].map((m) => m[1])
  assert.deepEqual(documented, registered)
  assert.ok(registered.includes('atkafka_handled_events'))
  // closed label sets are listed with their values
  const produced = (await atkafkaMetrics()).find((m) => m.name === 'atkafka_produced_events')
  assert.deepEqual(produced?.labels.get('status'), ['ok', 'error', 'dead_letter'])
})

// PromQL words that are not series names
const PROMQL = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'topk',
  'bottomk',
  'rate',
  'irate',
  'increase',
  'delta',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'histogram_quantile',
  'clamp_min',
  'clamp_max',
  'abs',
  'time',
  'vector',
  'scalar',
  'label_replace',
  'offset',
])
// series the dashboard queries ahead of the code: each lands with a later feature, and this
// list must shrink when it does (the test fails once a pending series exists)
const PENDING = new Set<string>()

/** the series names in a PromQL expression: label matchers, ranges, strings and grouping removed */
function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w))
}

test('every series the Grafana dashboard queries exists in the code (or is a kafka_/nodejs_/process_ series)', async () => {
  const dashboard = JSON.parse(
    readFileSync(join(repoRoot, 'docs/grafana/atkafka-dashboard.json'), 'utf8'),
  ) as {
    panels: { title: string; targets?: { expr: string }[] }[]
  }
  const registered = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name))
  const queried = new Set<string>()
  for (const panel of dashboard.panels) {
    for (const t of panel.targets ?? []) {
      const names = seriesNames(t.expr)
      assert.ok(names.length > 0, `${panel.title}: ${t.expr} queries a series`)
      for (const name of names) queried.add(name)
    }
  }
  for (const name of queried) {
    if (PENDING.has(name)) {
      assert.ok(!registered.has(name), `${name} exists now: take it off PENDING`)
      continue
    }
    assert.ok(
      registered.has(name) || /^(kafka|nodejs|process)_/.test(name),
      `the dashboard queries ${name}, which the code does not register`,
    )
  }
  // the panels the README promises
  for (const name of [
    'atkafka_handled_events',
    'atkafka_produced_events',
    'atkafka_lag_seconds',
    'atkafka_cursor_seq',
    'atkafka_upstream_seq',
    'atkafka_dropped_events_total',
    'atkafka_reconnects_total',
    'atkafka_in_flight_events',
    'atkafka_acks_sent',
    'atkafka_tap_event_buffer_size',
    'atkafka_plc_requests',
    'atkafka_api_requests',
    'atkafka_cache_size',
  ]) {
    assert.ok(queried.has(name), `the dashboard shows ${name}`)
  }
})

test('seriesNames reads PromQL as the dashboard test needs', () => {
  assert.deepEqual(
    seriesNames('sum by (status) (rate(atkafka_produced_events{status="ok"}[$__rate_interval]))'),
    ['atkafka_produced_events'],
  )
  assert.deepEqual(seriesNames('atkafka_upstream_seq - atkafka_cursor_seq'), [
    'atkafka_upstream_seq',
    'atkafka_cursor_seq',
  ])
})
