// The npm package: `npm pack`, installed into an empty prefix (`npm install -g --prefix DIR`),
// gives a working `atkafka` run from a folder away from the checkout: --version, every command's
// --help as the checkout prints it, and a real relay run into the broker that a process-group
// SIGTERM (systemd) stops with a full drain. The tarball holds the CLI and its docs, nothing of
// the tests, fixtures, sources or benchmarks.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { assertStoppedCleanly, stopByGroupSigterm, withoutNpmEnv } from '../helpers/group-stop.ts'
import { type InstalledPackage, packAndInstall } from '../helpers/npm-package.ts'

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
// as a user's shell runs it: not under npm (no npm_* variables)
const env = withoutNpmEnv(process.env)

describe('the npm package', { skip: process.platform !== 'linux' && 'reads /proc, prctl' }, () => {
  let installed: InstalledPackage
  before(() => {
    installed = packAndInstall()
  })
  after(() => installed?.remove())

  const run = (bin: string, args: string[], cwd: string) =>
    execFileSync(bin, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

  test('the tarball holds the CLI (bin, dist) and its docs, nothing of the tests, fixtures, sources or benchmarks', (t) => {
    const { pack } = installed
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`
    t.diagnostic(
      `${pack.filename}: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.files.length} files`,
    )
    const paths = pack.files.map((f) => f.path)
    for (const p of paths)
      assert.match(
        p,
        /^(package\.json|README\.md|LICENSE|bin\/atkafka\.js|dist\/.+\.js(\.map)?|docs\/.+)$/,
        p,
      )
    for (const want of [
      'LICENSE',
      'bin/atkafka.js',
      'dist/cli/main.js',
      'dist/identity/identity-worker.js',
      'docs/configuration.md',
    ])
      assert.ok(paths.includes(want), want)
    assert.deepEqual(
      paths.filter((p) => /(^|\/)(test|fixtures|bench|src|scripts)\/|\.test\.|\.ts$|\.png$/.test(p)),
      [],
      'no tests, fixtures, TypeScript sources, benchmarks or screenshots',
    )
  })

  test('is installed as a copy in the prefix, not a link to the checkout', () => {
    assert.equal(realpathSync(installed.packageDir), installed.packageDir)
    assert.equal(realpathSync(installed.bin), join(installed.packageDir, 'bin', 'atkafka.js'))
  })

  test('atkafka --version prints the package version', () => {
    assert.equal(run(installed.bin, ['--version'], installed.emptyDir), `${pkg.version}\n`)
  })

  test("every command's --help is the checkout's", () => {
    const main = run(installed.bin, ['--help'], installed.emptyDir)
    assert.equal(main, run(join(repoRoot, 'bin', 'atkafka.js'), ['--help'], repoRoot))
    // `  atkafka firehose relay [options]   …`: every command the main help lists
    const commands = [...main.matchAll(/^ {2}atkafka ([a-z -]+?) \[options\]/gm)].map((m) => m[1]!.split(' '))
    assert.ok(commands.length >= 4, `the commands in: ${main}`)
    for (const command of commands) {
      const help = run(installed.bin, [...command, '--help'], installed.emptyDir)
      assert.match(help, new RegExp(`^Usage: atkafka ${command.join(' ')} `), command.join(' '))
      assert.equal(
        help,
        run(join(repoRoot, 'bin', 'atkafka.js'), [...command, '--help'], repoRoot),
        command.join(' '),
      )
    }
  })

  test('atkafka firehose relay puts the corpus into Kafka; a process-group SIGTERM drains it, exit 0', async (t) => {
    const stop = await stopByGroupSigterm(t, {
      command: installed.bin,
      args: [],
      env,
      cwd: installed.emptyDir,
    })
    assertStoppedCleanly(stop, false)
  })
})
