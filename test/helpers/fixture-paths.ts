// Paths to the shared third-party fixtures (../shared/fixtures beside the repo; override
// with ATKAFKA_SHARED_DIR). Read their README for provenance before adding tests on them.
import { join } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..')
const sharedDir = process.env.ATKAFKA_SHARED_DIR ?? join(repoRoot, '..', 'shared')
const fixturesDir = join(sharedDir, 'fixtures')
export const corpusDir = join(fixturesDir, 'jetstream-corpus')
export const interopDir = join(fixturesDir, 'interop')
export const indigoDir = join(fixturesDir, 'indigo')
