// One real Kafka broker per test run (node --test-global-setup). Test files run in child
// processes that inherit the KAFKA_* variables set here. When KAFKA_BOOTSTRAP is already
// set (a broker started by the caller), it is used as is.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'

const script = join(import.meta.dirname, '..', 'scripts', 'kafka-broker.sh')
let workDir: string | undefined

export function globalSetup(): void {
  if (process.env.KAFKA_BOOTSTRAP || process.env.ATKAFKA_TEST_NO_BROKER) return
  workDir = mkdtempSync(join(tmpdir(), 'atkafka-test-broker-'))
  const t0 = performance.now()
  execFileSync('bash', [script, 'start', workDir, String(process.pid)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const env = parseEnv(readFileSync(join(workDir, 'env'), 'utf8'))
  Object.assign(process.env, env)
  process.stderr.write(
    `global-setup: broker up in ${Math.round(performance.now() - t0)} ms, KAFKA_BOOTSTRAP=${env.KAFKA_BOOTSTRAP}\n`,
  )
}

export function globalTeardown(): void {
  if (!workDir) return
  execFileSync('bash', [script, 'stop', workDir, '--rm'], { stdio: ['ignore', 'inherit', 'inherit'] })
}
