// The V8 flags atkafka ships with: those on bin/atkafka.js's shebang line (the Docker image's
// entrypoint repeats them, and test/unit/docker checks that the two agree). Scripts that start
// the CLI with `process.execPath` — the demo, the end-to-end benchmarks — pass these, so that
// what they run and measure is the service as shipped.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const shebang = readFileSync(join(import.meta.dirname, '../bin/atkafka.js'), 'utf8').split('\n')[0] ?? ''

export const shippedNodeFlags: readonly string[] = shebang
  .replace(/^#!\/usr\/bin\/env -S node\s*/, '')
  .split(' ')
  .filter(Boolean)
