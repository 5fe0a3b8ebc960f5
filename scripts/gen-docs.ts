// Regenerates the docs that are derived from code: docs/configuration.md (the config schema)
// and docs/metrics.md (the metrics registry).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configurationMarkdown } from '../src/cli/config-docs.ts'
import { metricsMarkdown } from '../src/cli/metrics-docs.ts'

const root = join(import.meta.dirname, '..')
writeFileSync(join(root, 'docs/configuration.md'), configurationMarkdown())
process.stdout.write('wrote docs/configuration.md\n')
writeFileSync(join(root, 'docs/metrics.md'), await metricsMarkdown())
process.stdout.write('wrote docs/metrics.md\n')
