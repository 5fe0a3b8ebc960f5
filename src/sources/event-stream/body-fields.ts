// Type guards for fields of a decoded firehose message body (values from @atcute/cbor decode).
import { encode } from '@atcute/cbor'

/** a decoded DAG-CBOR map: @atcute/cbor builds maps as `{}` literals, CIDs and bytes as class instances */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

/** a usable relay seq: a non-negative safe integer (the cursor is one) */
function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

/**
 * the body's seq when it is usable, so the cursor can move past a frame we drop. With the body's
 * bytes, a seq written as a float is not usable: DAG-CBOR forbids floats for integers, but
 * @atcute/cbor decodes 5.0 to the same number as 5, so the bytes tell (see intEncoded).
 */
export function seqOf(body: unknown, bodyBytes?: Uint8Array): number | undefined {
  if (!isMap(body)) return undefined
  const seq = body.seq
  if (!isSeq(seq)) return undefined
  return bodyBytes === undefined || intEncoded(bodyBytes) ? seq : undefined
}

/** the key "seq" as DAG-CBOR writes it: a text string of 3 bytes */
const [K0, K1, K2, K3] = encode('seq') as unknown as [number, number, number, number]
/** last initial byte of a DAG-CBOR unsigned integer (major type 0, argument in 0..27) */
const UINT_LAST = 0x1b

/**
 * whether the first "seq" key in `bytes` is followed by an unsigned integer; a float seq is
 * followed by 0xfb. Keys sort by length (DAG-CBOR), so "seq" comes before every field a body
 * carries in bulk (blocks): on a #commit the search stops right after the ops, on other frames
 * within their first bytes. Only an op path holding the bytes of that key could match earlier,
 * and then a float seq passes as the integer it equals.
 */
export function intEncoded(bytes: Uint8Array): boolean {
  // a plain loop: the key sits ~120 bytes in, after a few other 'c' bytes (indexOf calls cost more)
  const end = bytes.length - 4
  for (let i = 0; i < end; i++) {
    if (bytes[i] === K0 && bytes[i + 1] === K1 && bytes[i + 2] === K2 && bytes[i + 3] === K3) {
      return (bytes[i + 4] as number) <= UINT_LAST
    }
  }
  return false
}

/** optional string field: absent and null both mean "not set"; `false` means present with a wrong type */
export function optionalString(value: unknown): string | undefined | false {
  if (value === undefined || value === null) return undefined
  return typeof value === 'string' ? value : false
}

/** a string from upstream in a log line: JSON-quoted, cut at 64 characters, with its length */
export function shown(value: string): string {
  return value.length <= 64
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, 64))}… (${value.length} chars)`
}
