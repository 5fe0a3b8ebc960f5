// docker-compose.yml, docker-compose.tap.yml and docker-compose.ozone.yml, checked without Docker: they parse, have the
// services the README promises, set only options atkafka has (and with valid values), document
// every ATKAFKA_* variable of their command, and agree on ports with the code.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parse } from 'yaml'
import { loadConfig, options, specsFor } from '../../../src/cli/commands.ts'
import type { SourceCommand as FirehoseCommand } from '../../../src/sources/catalog.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'
import { envOf, execForm, readCompose, readDockerfile } from './docker-files.ts'

const metricsPort = Number((options.metricsAddress.default ?? '').split(':').pop())

const files: { file: string; command: FirehoseCommand; services: string[] }[] = [
  { file: 'docker-compose.yml', command: 'relay', services: ['kafka', 'atkafka', 'prometheus', 'grafana'] },
  { file: 'docker-compose.tap.yml', command: 'tap', services: ['kafka', 'tap', 'atkafka'] },
  { file: 'docker-compose.ozone.yml', command: 'ozone', services: ['kafka', 'atkafka'] },
]

/**
 * values for the variables a compose file requires from the shell (`${NAME:?why}`), as an
 * operator would export them: compose interpolates them before atkafka sees them
 */
const FROM_SHELL: Record<string, string> = {
  ATKAFKA_OZONE_PDS_HOST: 'https://pds.example.com',
  ATKAFKA_OZONE_IDENTIFIER: 'mod.example.com',
  ATKAFKA_OZONE_PASSWORD: 'xxxx-xxxx-xxxx-xxxx',
  ATKAFKA_OZONE_LABELER_DID: 'did:plc:ar7c4by46qjdydhdevvrndac',
}
const interpolated = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      const required = /^\$\{(\w+):\?[^}]*\}$/.exec(v)
      if (!required) return [k, v]
      const value = FROM_SHELL[required[1]!]
      assert.ok(value !== undefined, `${k} requires ${required[1]} from the shell`)
      return [k, value]
    }),
  )

/** how compose starts the command: `firehose relay`, or the Go original's `ozone-events` */
const commandArgs = (command: FirehoseCommand) =>
  command === 'ozone' ? ['ozone-events'] : ['firehose', command]

for (const { file, command, services } of files) {
  describe(file, () => {
    const { text, compose } = readCompose(file)
    const atkafka = compose.services.atkafka!
    const env = interpolated(envOf(atkafka))

    test('has the services, Kafka in KRaft mode on one node, atkafka built from the Dockerfile', () => {
      assert.deepEqual(Object.keys(compose.services).sort(), [...services].sort())
      const kafka = compose.services.kafka!
      assert.equal(kafka.image, 'apache/kafka:4.2.0')
      const kenv = envOf(kafka)
      assert.equal(kenv.KAFKA_PROCESS_ROLES, 'broker,controller')
      assert.equal(kenv.KAFKA_CONTROLLER_QUORUM_VOTERS, `${kenv.KAFKA_NODE_ID}@kafka:29093`)
      assert.ok(!('KAFKA_ZOOKEEPER_CONNECT' in kenv))
      assert.match(kenv.CLUSTER_ID ?? '', /^[A-Za-z0-9_-]{22}$/)
      assert.ok(kafka.healthcheck, 'atkafka waits for a healthy broker')
      assert.deepEqual(atkafka.build, { context: '.', dockerfile: 'Dockerfile' })
      assert.deepEqual(atkafka.command, commandArgs(command))
      assert.deepEqual(atkafka.depends_on && !Array.isArray(atkafka.depends_on) && atkafka.depends_on.kafka, {
        condition: 'service_healthy',
      })
      for (const name of Object.keys(compose.volumes ?? {}))
        assert.ok(text.includes(`${name}:/`), `volume ${name} used`)
    })

    test(`every variable set for atkafka is an option of \`${commandArgs(command).join(' ')}\`, with a valid value`, () => {
      const known = new Set(specsFor(command).flatMap(([, s]) => s.env))
      for (const name of Object.keys(env))
        assert.ok(known.has(name), `${name} is not an option of ${command}`)
      const config = loadConfig(command, [], env)
      assert.deepEqual(config.bootstrapServers, ['kafka:29092'])
      // the broker's in-network listener is the one atkafka uses
      assert.match(
        envOf(compose.services.kafka!).KAFKA_ADVERTISED_LISTENERS ?? '',
        /PLAINTEXT:\/\/kafka:29092/,
      )
    })

    test(`every ATKAFKA_* variable of \`${commandArgs(command).join(' ')}\` is documented inline (set or commented out)`, () => {
      for (const [, spec] of specsFor(command)) {
        const name = spec.env[0]!
        assert.match(text, new RegExp(`^ +(# )?${name}: `, 'm'), `${name} in ${file}`)
      }
    })

    test('the metrics port is the code’s default, published and exposed by the image', () => {
      const config = loadConfig(command, [], env)
      assert.equal(config.metricsAddress.port, metricsPort)
      assert.ok(atkafka.ports?.includes(`${metricsPort}:${metricsPort}`), `${metricsPort} published`)
      const expose = readDockerfile().find((i) => i.instruction === 'EXPOSE')
      assert.equal(expose?.args, String(metricsPort))
    })

    test('files mounted from the repository exist', () => {
      for (const service of Object.values(compose.services)) {
        for (const volume of service.volumes ?? []) {
          const source = volume.split(':')[0]!
          if (source.startsWith('./')) assert.ok(existsSync(join(repoRoot, source)), `${source} exists`)
        }
      }
    })
  })
}

test('docker-compose.tap.yml: Tap as in the seed, atkafka pointed at it', () => {
  const { compose } = readCompose('docker-compose.tap.yml')
  const tap = compose.services.tap!
  assert.equal(tap.image, 'ghcr.io/bluesky-social/indigo/tap:latest')
  const tenv = envOf(tap)
  assert.deepEqual(Object.keys(tenv).sort(), [
    'TAP_BIND',
    'TAP_COLLECTION_FILTERS',
    'TAP_DISABLE_ACKS',
    'TAP_FULL_NETWORK',
    'TAP_METRICS_LISTEN',
  ])
  const env = envOf(compose.services.atkafka!)
  const tapPort = tenv.TAP_BIND!.split(':').pop()
  assert.equal(env.ATKAFKA_TAP_HOST, `ws://tap:${tapPort}`)
  // acks on both sides or off on both
  assert.equal(env.ATKAFKA_DISABLE_ACKS, tenv.TAP_DISABLE_ACKS)
})

test('docker-compose.yml: Prometheus scrapes atkafka, Grafana gets the datasource and the dashboard', () => {
  const { compose } = readCompose('docker-compose.yml')
  const prom = parse(readFileSync(join(repoRoot, 'docs/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[]
  }
  const job = prom.scrape_configs.find((j) => j.job_name === 'atkafka')
  assert.deepEqual(job?.static_configs[0]?.targets, [`atkafka:${metricsPort}`])
  assert.ok(
    compose.services.prometheus?.volumes?.includes('./docs/prometheus.yml:/etc/prometheus/prometheus.yml:ro'),
  )
  const grafanaVolumes = compose.services.grafana?.volumes ?? []
  assert.ok(
    grafanaVolumes.some((v) =>
      v.startsWith('./docs/grafana/atkafka-dashboard.json:/var/lib/grafana/dashboards/'),
    ),
  )
  const provider = parse(
    readFileSync(join(repoRoot, 'docs/grafana/provisioning/dashboards/atkafka.yml'), 'utf8'),
  ) as {
    providers: { options: { path: string } }[]
  }
  assert.equal(provider.providers[0]?.options.path, '/var/lib/grafana/dashboards')
  const ds = parse(
    readFileSync(join(repoRoot, 'docs/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
  ) as {
    datasources: { type: string; url: string }[]
  }
  assert.deepEqual(
    ds.datasources.map((d) => [d.type, d.url]),
    [['prometheus', 'http://prometheus:9090']],
  )
  // the seed's entrypoint/command split: compose gives only the command
  assert.deepEqual(execForm(readDockerfile().find((i) => i.instruction === 'CMD')!.args), [
    'firehose',
    'relay',
  ])
})
