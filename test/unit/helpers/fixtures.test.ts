// The repository's third-party fixtures (test/fixtures/) are what their READMEs say: every folder
// has its upstream license files, a provenance README and a row in the index, and every file
// hashes to the sha256 its README lists (no unlisted file, none changed in place).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, test } from 'node:test'
import { repoRoot } from '../../helpers/fixture-paths.ts'

const fixturesDir = join(repoRoot, 'test', 'fixtures')
const index = readFileSync(join(fixturesDir, 'README.md'), 'utf8')
const folders = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)

/** every file under dir, as paths relative to it */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

/** the README's ```sha256 block: path → hash (undefined when there is none) */
function listedHashes(readme: string): Map<string, string> | undefined {
  const block = /```sha256\n([\s\S]*?)```/.exec(readme)?.[1]
  if (block === undefined) return undefined
  return new Map(
    block
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [hash, path] = l.trim().split(/\s+/)
        return [path!, hash!]
      }),
  )
}

describe('test/fixtures', () => {
  test('holds the three folders the tests read, each listed in the index', () => {
    for (const name of ['jetstream-corpus', 'interop', 'indigo']) assert.ok(folders.includes(name), name)
    for (const name of folders)
      assert.match(index, new RegExp(`\\| \\[\`${name}/\`\\]\\(${name}/README\\.md\\)`), name)
  })

  for (const name of folders) {
    test(`${name}: license files, a provenance README, files as listed`, () => {
      const dir = join(fixturesDir, name)
      const files = filesUnder(dir)
      assert.ok(
        files.some((f) => /^LICEN[CS]E/.test(f)),
        `${name} has its upstream license file`,
      )
      const readme = readFileSync(join(dir, 'README.md'), 'utf8')
      assert.match(readme, /github\.com\/[\w-]+\/[\w-]+/, 'names the upstream repository')
      assert.match(readme, /\b[0-9a-f]{40}\b/, 'names the upstream commit')
      const hashes = listedHashes(readme)
      if (hashes === undefined) return
      const data = files.filter((f) => !/^(LICEN[CS]E|README)/.test(f))
      assert.deepEqual(data, [...hashes.keys()].sort(), 'every data file is listed, and only those')
      for (const [path, hash] of hashes) {
        const actual = createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex')
        assert.equal(actual, hash, path)
      }
    })
  }
})
