// The npm package as a user gets it: `npm pack` (its `prepare` compiles src/ to dist/ with tsc,
// so it needs the devDependencies of `npm ci`), then `npm install -g --prefix DIR` of the
// tarball into an empty prefix. The pack runs in a copy of what the package is made from (the
// package.json "files", src/, the tsconfigs; node_modules linked for tsc), so it starts from an
// empty dist/ and never rewrites the checkout's dist/ while other test files run from it.
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './fixture-paths.ts'

/** what `npm pack --json` says of a tarball */
interface PackInfo {
  readonly filename: string
  /** bytes of the .tgz */
  readonly size: number
  /** bytes of its files */
  readonly unpackedSize: number
  readonly files: readonly { readonly path: string; readonly size: number }[]
}

export interface InstalledPackage {
  readonly pack: PackInfo
  readonly tarball: string
  /** the installed `atkafka` command (DIR/bin/atkafka) */
  readonly bin: string
  /** where npm installed the package (DIR/lib/node_modules/atkafka) */
  readonly packageDir: string
  /** an empty folder to run it from, away from the checkout */
  readonly emptyDir: string
  /** removes the copy, the tarball and the prefix */
  remove(): void
}

/** npm always puts these in a package, whatever "files" says */
const ALWAYS = /^(readme|licen[cs]e|notice|changelog)(\..*)?$/i

export function packAndInstall(): InstalledPackage {
  const work = mkdtempSync(join(tmpdir(), 'atkafka-npm-package-'))
  const copy = join(work, 'atkafka')
  const prefix = join(work, 'prefix')
  const emptyDir = join(work, 'empty')
  mkdirSync(copy)
  mkdirSync(prefix)
  mkdirSync(emptyDir)
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { files: string[] }
    const inputs = new Set([
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src',
    ])
    for (const f of pkg.files) if (!f.startsWith('!') && f !== 'dist') inputs.add(f.replace(/\/$/, ''))
    for (const f of readdirSync(repoRoot)) if (ALWAYS.test(f)) inputs.add(f)
    for (const f of inputs)
      if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(copy, f), { recursive: true })
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'))
    const npm = (args: string[], cwd: string) =>
      execFileSync('npm', args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, npm_config_update_notifier: 'false' },
      })
    const [pack] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], copy)) as [PackInfo]
    const tarball = join(work, pack.filename)
    // the dependencies come from the registry, or npm's cache when it holds them
    npm(
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      emptyDir,
    )
    return {
      pack,
      tarball,
      bin: join(prefix, 'bin', 'atkafka'),
      packageDir: join(prefix, 'lib', 'node_modules', 'atkafka'),
      emptyDir,
      remove: () => rmSync(work, { recursive: true, force: true }),
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true })
    throw new Error(
      `npm pack / npm install of the package failed: ${(err as { stderr?: string }).stderr ?? err}`,
      {
        cause: err,
      },
    )
  }
}
