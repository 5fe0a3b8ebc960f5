// Paths to the third-party fixtures the repository holds (test/fixtures/; each folder has its
// upstream license files and a README giving provenance: read it before adding tests on them).
// Nothing here looks outside the repository.
import { join } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..')
const fixturesDir = join(repoRoot, 'test', 'fixtures')
export const corpusDir = join(fixturesDir, 'jetstream-corpus')
export const interopDir = join(fixturesDir, 'interop')
export const indigoDir = join(fixturesDir, 'indigo')
