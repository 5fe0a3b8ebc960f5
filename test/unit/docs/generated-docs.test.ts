import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { options } from '../../../src/cli/commands.ts'
import { configurationMarkdown } from '../../../src/cli/config-docs.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'

test('docs/configuration.md is what the schema generates (run `npm run docs`)', () => {
  const onDisk = readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8')
  assert.equal(onDisk, configurationMarkdown())
  for (const spec of Object.values(options)) {
    assert.ok(onDisk.includes(`\`--${spec.flags[0]}\``), `--${spec.flags[0]} documented`)
    for (const env of spec.env) assert.ok(onDisk.includes(`\`${env}\``), `${env} documented`)
  }
})
