// The JSON Schemas of atkafka's output (docs/schemas/*.schema.json), compiled once with ajv
// (draft 2020-12, strict, formats): tests validate what the broker holds against them.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { repoRoot } from './fixture-paths.ts'

const schemasDir = join(repoRoot, 'docs', 'schemas')
export type OutputSchema =
  | 'event'
  | 'enriched-event'
  | 'osprey-envelope'
  | 'enriched-osprey-envelope'
  | 'label'
  | 'label-osprey-envelope'

const ajv = new Ajv2020({ strict: true, allErrors: true })
addFormats.default(ajv)
for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, file), 'utf8')) as object)
}
const BASE = 'https://atkafka.example/schemas/'

/** the schema's complaints about `value` (empty when it is valid) */
export function schemaErrors(schema: OutputSchema, value: unknown): string[] {
  const validate = ajv.getSchema(`${BASE}${schema}.schema.json`)
  if (!validate) throw new Error(`no schema ${schema}`)
  if (validate(value)) return []
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  )
}

/** fails with the first message that does not validate, and how */
export function assertValid(schema: OutputSchema, values: readonly unknown[]): void {
  for (const value of values) {
    const errors = schemaErrors(schema, value)
    if (errors.length > 0) {
      throw new Error(
        `not a valid ${schema}: ${JSON.stringify(value).slice(0, 400)}\n  ${errors.slice(0, 8).join('\n  ')}`,
      )
    }
  }
}
