// The real schemas of the upstreams that tests stand in for, loaded from the test-only package
// test/upstreams/pds (kept out of the product's dependencies; scripts/setup-upstreams.sh
// installs it): the app.bsky lexicons as @atproto/pds ships them (its generated lexicon
// module, the same schemas @atproto/pds exports, imported without starting a PDS), and the PLC
// directory's document and audit-log formats from @did-plc/lib (what @did-plc/server serves).
//
// A fake upstream's answer is built with these generators or checked against these schemas, and
// checked closed-world: lexicon and zod objects accept keys they do not declare, so a field a
// fixture invented (followingCount) would pass a plain validation; checkLexicon and checkExact
// also refuse every key the schema does not declare.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { repoRoot } from './fixture-paths.ts'

/** the parts of @atproto/lex-schema's Schema that the checks use */
export interface LexSchema {
  readonly type: string
  safeValidate(value: unknown): { success: boolean; error?: unknown; reason?: unknown }
}

/** a zod (v3) schema: parse strips keys it does not declare */
interface ZodSchema {
  parse(value: unknown): unknown
}

export interface Keypair {
  did(): string
}

interface PlcLib {
  formatAtprotoOp(opts: {
    signingKey: string
    handle: string
    pds: string
    rotationKeys: string[]
    prev: null
  }): Record<string, unknown>
  atprotoOp(opts: {
    signingKey: string
    handle: string
    pds: string
    rotationKeys: string[]
    prev: null
    signer: Keypair
  }): Promise<Record<string, unknown>>
  opToData(did: string, op: Record<string, unknown>): unknown
  formatDidDoc(data: unknown): Record<string, unknown>
  getLastOpWithCid(ops: Record<string, unknown>[]): Promise<{ cid: { toString(): string } }>
  readonly didDocument: ZodSchema
  readonly exportedOp: ZodSchema
}

export interface UpstreamSchemas {
  readonly plc: PlcLib
  createKeypair(): Promise<Keypair>
  /** app.bsky.actor.defs#profileViewDetailed: what app.bsky.actor.getProfile answers */
  readonly profileViewDetailed: LexSchema
}

const upstreamPackage = join(repoRoot, 'test', 'upstreams', 'pds', 'package.json')
let loading: Promise<UpstreamSchemas> | undefined

export function loadUpstreamSchemas(): Promise<UpstreamSchemas> {
  loading ??= (async () => {
    const require = createRequire(upstreamPackage)
    let plc: PlcLib
    let crypto: { Secp256k1Keypair: { create(): Promise<Keypair> } }
    let pdsMain: string
    try {
      plc = require('@did-plc/lib') as PlcLib
      crypto = require('@atproto/crypto')
      pdsMain = require.resolve('@atproto/pds')
    } catch (err) {
      throw new Error('the test upstreams are not installed: run bash scripts/setup-upstreams.sh', {
        cause: err,
      })
    }
    // @atproto/pds's index re-exports this module (`export * from './lexicons.js'`); importing
    // it alone loads the schemas without the server
    const lexicons = (await import(pathToFileURL(join(dirname(pdsMain), 'lexicons.js')).href)) as {
      app: { bsky: { actor: { defs: { profileViewDetailed: LexSchema } } } }
    }
    return {
      plc,
      createKeypair: () => crypto.Secp256k1Keypair.create(),
      profileViewDetailed: lexicons.app.bsky.actor.defs.profileViewDetailed,
    }
  })()
  return loading
}

interface Node {
  readonly type: string
  readonly validator?: Node
  readonly schema?: Node
  readonly shape?: Record<string, Node>
  readonly validatorsMap?: Map<unknown, Node>
}

/**
 * Throws unless `value` is valid for the lexicon `schema` and every key it has, at any depth,
 * is one the lexicon declares (`$type` on typed objects included).
 */
export function checkLexicon(schema: LexSchema, value: unknown, what: string): void {
  const result = schema.safeValidate(value)
  if (!result.success) {
    throw new Error(`${what} is not valid: ${String(result.error ?? result.reason)}`)
  }
  const extra: string[] = []
  undeclared(schema as unknown as Node, value, what, extra)
  if (extra.length > 0) throw new Error(`${what} has keys its lexicon does not declare: ${extra.join(', ')}`)
}

function undeclared(node: Node, value: unknown, path: string, out: string[]): void {
  switch (node.type) {
    case 'optional':
    case 'nullable':
    case 'withDefault':
    case 'ref':
    case 'typedRef':
      if (value !== undefined && value !== null && node.validator)
        undeclared(node.validator, value, path, out)
      return
    case 'typedObject':
      if (node.schema) undeclared(node.schema, value, path, out)
      return
    case 'object': {
      if (typeof value !== 'object' || value === null) return
      const shape = node.shape ?? {}
      for (const [key, v] of Object.entries(value)) {
        if (key === '$type') continue
        const child = shape[key]
        if (child === undefined) out.push(`${path}.${key}`)
        else undeclared(child, v, `${path}.${key}`, out)
      }
      return
    }
    case 'array':
      if (Array.isArray(value) && node.validator) {
        for (let i = 0; i < value.length; i++) undeclared(node.validator, value[i], `${path}[${i}]`, out)
      }
      return
    case 'typedUnion': {
      const $type = (value as { $type?: unknown } | null)?.$type
      const member = node.validatorsMap?.get($type)
      if (member) undeclared(member, value, path, out)
      return
    }
    default:
      // scalars, blobs, CIDs, open maps (lexMap, unknown): nothing declared inside them
      return
  }
}

/** Throws unless the zod schema accepts `value` and strips nothing from it (no undeclared key). */
export function checkExact(schema: ZodSchema, value: unknown, what: string): void {
  let parsed: unknown
  try {
    parsed = schema.parse(value)
  } catch (err) {
    throw new Error(`${what} is not valid`, { cause: err })
  }
  if (!isDeepStrictEqual(parsed, value)) {
    throw new Error(`${what} has keys its schema does not declare: ${JSON.stringify(value)}`)
  }
}
