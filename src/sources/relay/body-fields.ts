// Type guards for fields of a decoded firehose message body (values from @atcute/cbor decode).

/** a decoded DAG-CBOR map: @atcute/cbor builds maps as `{}` literals, CIDs and bytes as class instances */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

/** a usable relay seq: a non-negative safe integer (the cursor is one) */
function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

/** the body's seq when it is usable, so the cursor can move past a frame we drop */
export function seqOf(body: unknown): number | undefined {
  if (!isMap(body)) return undefined
  const seq = body.seq
  return isSeq(seq) ? seq : undefined
}

/** optional string field: absent and null both mean "not set"; `false` means present with a wrong type */
export function optionalString(value: unknown): string | undefined | false {
  if (value === undefined || value === null) return undefined
  return typeof value === 'string' ? value : false
}
