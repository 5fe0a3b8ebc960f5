// The Node.js version check that runs before anything else loads, and the parent watch that
// stops atkafka with the npm process that started it.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { nodeVersionProblem } from '../../../src/cli/node-version.ts'
import { startedByNpm, watchParent } from '../../../src/cli/watch-parent.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'

test('versions below the engines range are refused with how to get Node 24; the rest pass', () => {
  const range = '>=22.22.0'
  for (const v of ['20.20.2', '22.21.9', '22.0.0', '18.19.1', '21.99.0'])
    assert.match(
      nodeVersionProblem(range, v, '/usr/bin/node') ?? '',
      /needs Node\.js >=22\.22\.0; this is Node\.js .*nodejs\.org/s,
      v,
    )
  for (const v of ['22.22.0', '22.22.1', '23.0.0', '24.21.0', '25.1.0'])
    assert.equal(nodeVersionProblem(range, v, '/x/node'), undefined, v)
})

test('the range checked is what package.json declares, and this Node satisfies it', () => {
  const { engines } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    engines: { node: string }
  }
  assert.match(engines.node, /^>=\d+\.\d+\.\d+$/)
  assert.equal(nodeVersionProblem(engines.node, process.versions.node, process.execPath), undefined)
})

test('npm marks the processes it starts (npx, npm exec, npm start); a plain run is not marked', () => {
  assert.equal(startedByNpm({ npm_command: 'exec', npm_lifecycle_event: 'npx' }), true)
  assert.equal(startedByNpm({ npm_lifecycle_event: 'start' }), true)
  assert.equal(startedByNpm({ PATH: '/usr/bin' }), false)
})

test('the parent watch calls back once when the parent pid changes (the process was reparented)', async () => {
  let ppid = 4242
  const gone: number[] = []
  const stop = watchParent({ ppid: () => ppid, intervalMs: 5, onGone: (pid) => gone.push(pid) })
  await new Promise((r) => setTimeout(r, 30))
  assert.deepEqual(gone, [])
  ppid = 1
  for (let i = 0; i < 100 && gone.length === 0; i++) await new Promise((r) => setTimeout(r, 5))
  await new Promise((r) => setTimeout(r, 30))
  assert.deepEqual(gone, [4242])
  stop()
})
