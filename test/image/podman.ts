// podman and podman-compose for the image tests, as scripts/image/test.sh set them up: the
// image under test in ATKAFKA_IMAGE, this machine's runtime and ulimits in CONTAINERS_CONF
// (scripts/image/podman-env.sh), podman-compose pip-installed in ATKAFKA_PODMAN_COMPOSE.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { repoRoot } from '../helpers/fixture-paths.ts'

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function need(name: string): string {
  const value = process.env[name]
  assert.ok(value, `${name} is not set: run these tests with \`npm run test:image\` (scripts/image/test.sh)`)
  return value
}

export const image = need('ATKAFKA_IMAGE')
need('CONTAINERS_CONF')

/** runs a command to its end; never throws for a non-zero exit (the caller asserts on it) */
export function run(cmd: string, args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

export const podman = (...args: string[]) => run('podman', args)

/** podman …args, which must exit 0; its stdout, trimmed */
export async function podmanOk(...args: string[]): Promise<string> {
  const r = await podman(...args)
  assert.equal(r.code, 0, `podman ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`)
  return r.stdout.trim()
}

/** `podman inspect --format FORMAT name` */
export const inspect = (name: string, format: string) => podmanOk('inspect', '--format', format, name)

/** podman-compose (the pinned PyPI release) with `env` on top of this process's environment */
export function podmanCompose(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return run('python3', ['-m', 'podman_compose', ...args], {
    PYTHONPATH: need('ATKAFKA_PODMAN_COMPOSE'),
    ...env,
  })
}

/** `KEY=VALUE` pairs as `-e KEY=VALUE` options of podman run */
export const envOptions = (env: Record<string, string>) =>
  Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
