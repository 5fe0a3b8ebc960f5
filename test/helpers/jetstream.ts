// Comparing JSON with production Jetstream's: the corpus's v1 lines, a key that pairs an event
// with its line, and key-order normalisation (keys sorted at every level, everything else as
// JSON.stringify writes the parsed value, so escapes such as Go's \u003c compare equal).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JetstreamEvent } from './corpus.ts'
import { corpusDir } from './fixture-paths.ts'

/** expected_v1.jsonl as its lines, verbatim */
export function corpusV1Lines(): string[] {
  return readFileSync(join(corpusDir, 'expected_v1.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
}

/** what identifies one Jetstream event in the corpus: commits by did/collection/rkey/rev/operation, the rest by did/kind/seq */
export function jetstreamMatchKey(e: JetstreamEvent): string {
  if (e.kind === 'commit' && e.commit) {
    const c = e.commit
    return `commit ${e.did} ${c.collection}/${c.rkey}@${c.rev} ${c.operation}`
  }
  const seq = e.identity?.seq ?? e.account?.seq
  return `${e.kind} ${e.did} ${seq}`
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v === null || typeof v !== 'object') return v
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k])
  return out
}

/** `json` with its keys sorted at every level; `replace` sets top-level fields first (e.g. time_us) */
export function normalizeJson(json: string, replace: Record<string, unknown> = {}): string {
  const parsed = JSON.parse(json) as Record<string, unknown>
  return JSON.stringify(sortKeys({ ...parsed, ...replace }))
}
