// atkafka's entry point (bin/atkafka.js in a checkout or package, dist/cli/main.js in the
// image): checks the Node.js version before anything else loads (exit 2 with how to get the
// right one), then runs the CLI (run-cli.ts). Only node:fs and node-version.ts load before it.
import { readFileSync } from 'node:fs'
import { nodeVersionProblem } from './node-version.ts'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines?: { node?: string }
}
const problem = nodeVersionProblem(pkg.engines?.node ?? '', process.versions.node, process.execPath)
if (problem) {
  process.stderr.write(problem)
  process.exit(2)
}
await import('./run-cli.ts')
