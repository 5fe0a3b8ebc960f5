// indigo's relay test scenarios and live #commit bodies (test/fixtures/indigo; see its
// README), turned from DAG-JSON into subscribeRepos wire frames: encode(header) ++ encode(body).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeCarStream } from '@atcute/car'
import { BytesWrapper, encode, fromBytes, toCidLink } from '@atcute/cbor'
import { type Cid, fromString } from '@atcute/cid'
import { indigoDir } from './fixture-paths.ts'

const scenariosDir = join(indigoDir, 'relay-scenarios')
const commitsDir = join(indigoDir, 'firehose-commits')

interface FrameHeader {
  readonly op: number
  readonly t?: string
}

interface ScenarioMessage {
  /** the wire frame */
  readonly frame: Uint8Array
  readonly header: FrameHeader
  /** the body as written in the scenario (DAG-JSON, parsed) */
  readonly body: Record<string, unknown>
  readonly seq: number | undefined
  /** a relay must not pass this frame on */
  readonly drop: boolean
  readonly invalid: boolean
}

export interface Scenario {
  readonly lenient: boolean
  /** {identity (DID document data), status} per account */
  readonly accounts: unknown[]
  readonly messages: ScenarioMessage[]
}

interface RawScenario {
  lenient?: boolean
  accounts: unknown[]
  messages: {
    frame: { header: FrameHeader; body: Record<string, unknown> }
    drop?: boolean
    invalid?: boolean
  }[]
}

/** names (without .json) of the scenario files */
export function scenarioNames(): string[] {
  return jsonFiles(scenariosDir)
}

export function loadScenario(name: string): Scenario {
  const raw = JSON.parse(readFileSync(join(scenariosDir, `${name}.json`), 'utf8')) as RawScenario
  return {
    lenient: raw.lenient ?? false,
    accounts: raw.accounts,
    messages: raw.messages.map(({ frame: { header, body }, drop, invalid }) => ({
      frame: encodeFrame(header, body),
      header,
      body,
      seq: typeof body.seq === 'number' ? body.seq : undefined,
      drop: drop ?? false,
      invalid: invalid ?? false,
    })),
  }
}

/** the four live #commit bodies of firehose-commits/, each with its wire frame */
export function loadFirehoseCommits(): { name: string; body: Record<string, unknown>; frame: Uint8Array }[] {
  return jsonFiles(commitsDir).map((name) => {
    const body = JSON.parse(readFileSync(join(commitsDir, `${name}.json`), 'utf8')) as Record<string, unknown>
    return { name, body, frame: encodeFrame({ op: 1, t: '#commit' }, body) }
  })
}

/** DAG-CBOR header then DAG-CBOR body, as a relay sends them */
export function encodeFrame(header: unknown, body: unknown): Uint8Array {
  const h = encode(fromDagJson(header))
  const b = encode(fromDagJson(body))
  const frame = new Uint8Array(h.length + b.length)
  frame.set(h, 0)
  frame.set(b, h.length)
  return frame
}

/** a CARv1 of `blocks` (in order) with the first block's CID as root, like a #commit's blocks */
export async function encodeCar(blocks: readonly { cid: Cid; data: Uint8Array }[]): Promise<Uint8Array> {
  const roots = blocks.length > 0 ? [toCidLink(blocks[0]!.cid)] : []
  const chunks = await Array.fromAsync(
    writeCarStream(
      roots,
      blocks.map((b) => ({ cid: b.cid.bytes, data: b.data })),
    ),
  )
  return Buffer.concat(chunks)
}

/** DAG-JSON → the values @atcute/cbor encodes as DAG-CBOR: {"$link"} → CID link, {"$bytes"} → bytes */
function fromDagJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromDagJson)
  if (typeof value !== 'object' || value === null) return value
  // already a CID link / bytes wrapper (or other non-JSON value): @atcute/cbor encodes it as is
  if (Object.getPrototypeOf(value) !== Object.prototype) return value
  const entries = Object.entries(value)
  if (entries.length === 1) {
    const [key, inner] = entries[0]!
    if (key === '$link' && typeof inner === 'string') return toCidLink(fromString(inner))
    if (key === '$bytes' && typeof inner === 'string') return new BytesWrapper(fromBytes({ $bytes: inner }))
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, fromDagJson(v)]))
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
}
