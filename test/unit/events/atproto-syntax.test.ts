// DID, NSID and record-key syntax checks (relay and Tap both use them) against the atproto
// interop fixtures' valid and invalid lists.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { isDid, isNsid, isRecordKey } from '../../../src/events/atproto-syntax.ts'
import { interopDir } from '../../helpers/fixture-paths.ts'

function fixtureLines(name: string): string[] {
  return readFileSync(join(interopDir, 'syntax', name), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
}

describe('syntax checks follow the interop fixtures', () => {
  const cases: [string, (v: unknown) => boolean][] = [
    ['did', isDid],
    ['nsid', isNsid],
    ['recordkey', isRecordKey],
  ]
  for (const [name, check] of cases) {
    test(name, () => {
      for (const v of fixtureLines(`${name}_syntax_valid.txt`))
        assert.equal(check(v), true, `valid ${name}: ${v}`)
      for (const v of fixtureLines(`${name}_syntax_invalid.txt`)) {
        assert.equal(check(v), false, `invalid ${name}: ${v.slice(0, 80)}`)
      }
    })
  }
})
