// One label as a labeler's subscribeLabels serves it (com.atproto.label.defs#label): checked
// against its lexicon, kept exactly as decoded (the map the signature covers, unknown keys
// included). Pure.
import { type Bytes, fromBytes, isBytes } from '@atcute/cbor'
import { isDid } from '../../events/atproto-syntax.ts'

/** a decoded label whose fields have the lexicon's types */
export interface Label {
  /** the DAG-CBOR map as decoded: what the signature covers (without `sig`) and what is written */
  readonly raw: Readonly<Record<string, unknown>>
  readonly ver?: number
  /** the labeler that made it */
  readonly src: string
  /** the subject: an at:// URI (a record, or an account as at://<did>) or a DID */
  readonly uri: string
  /** a record label pinned to one version of the record */
  readonly cid?: string
  readonly val: string
  /** a negation: removes the label `val` from `uri` */
  readonly neg: boolean
  readonly cts: string
  readonly exp?: string
  readonly sig?: Uint8Array
  /** the subject's DID, from `uri`: the Kafka key */
  readonly subject: string
}

const MAX_VAL_BYTES = 128
const encoder = new TextEncoder()

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

/** the DID of a label's subject: `did:…`, or the authority of `at://did:…/…`; undefined otherwise */
function subjectDid(uri: string): string | undefined {
  if (uri.startsWith('did:')) return isDid(uri) ? uri : undefined
  if (!uri.startsWith('at://')) return undefined
  const end = uri.indexOf('/', 5)
  const authority = end < 0 ? uri.slice(5) : uri.slice(5, end)
  return isDid(authority) ? authority : undefined
}

const opt = <T>(value: unknown, is: (v: unknown) => v is T): T | undefined | false =>
  value === undefined ? undefined : is(value) ? value : false
const isString = (v: unknown): v is string => typeof v === 'string'
const isBool = (v: unknown): v is boolean => typeof v === 'boolean'
const isInt = (v: unknown): v is number => Number.isSafeInteger(v)

/** the label, or what is wrong with it */
export function parseLabel(value: unknown): Label | string {
  if (!isMap(value)) return 'not a map'
  const { src, uri, val, cts } = value
  const ver = opt(value.ver, isInt)
  const cid = opt(value.cid, isString)
  const neg = opt(value.neg, isBool)
  const exp = opt(value.exp, isString)
  const sig = opt(value.sig, (v): v is Bytes => isBytes(v))
  if (ver === false) return 'ver is not an integer'
  if (!isDid(src)) return 'src is not a DID'
  if (typeof uri !== 'string') return 'uri is not a string'
  if (cid === false) return 'cid is not a string'
  if (typeof val !== 'string' || encoder.encode(val).length > MAX_VAL_BYTES)
    return `val is not a string of at most ${MAX_VAL_BYTES} bytes`
  if (neg === false) return 'neg is not a boolean'
  if (typeof cts !== 'string') return 'cts is not a string'
  if (exp === false) return 'exp is not a string'
  if (sig === false) return 'sig is not bytes'
  const subject = subjectDid(uri)
  if (subject === undefined) return `uri names no DID: ${JSON.stringify(uri.slice(0, 64))}`
  return {
    raw: value,
    ver,
    src,
    uri,
    cid,
    val,
    neg: neg ?? false,
    cts,
    exp,
    sig: sig === undefined ? undefined : fromBytes(sig),
    subject,
  }
}
