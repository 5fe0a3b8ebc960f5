// Regenerates the docs that are derived from code: docs/configuration.md.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configurationMarkdown } from '../src/config/config-docs.ts'

const root = join(import.meta.dirname, '..')
writeFileSync(join(root, 'docs/configuration.md'), configurationMarkdown())
process.stdout.write('wrote docs/configuration.md\n')
