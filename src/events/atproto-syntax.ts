// atproto identifier syntax (https://atproto.com/specs/did, /nsid, /record-key), as in indigo's
// syntax package, checked on every DID that becomes a Kafka key and every record path, from
// both sources: cheap regexes, with lengths bounded first so a hostile 50 KB "DID" costs nothing.

const DID_RE = /^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$/
const NSID_RE =
  /^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}$/
const RKEY_RE = /^[a-zA-Z0-9._:~-]{1,512}$/

export function isDid(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 2048 && DID_RE.test(value)
}
// collections repeat endlessly (a few thousand exist): remember the valid ones, up to a bound
const validCollections = new Set<string>()
export function isNsid(value: unknown): value is string {
  if (typeof value !== 'string') return false
  if (validCollections.has(value)) return true
  if (value.length > 317 || !NSID_RE.test(value)) return false
  if (validCollections.size < 10_000) validCollections.add(value)
  return true
}
export function isRecordKey(value: unknown): value is string {
  return typeof value === 'string' && value !== '.' && value !== '..' && RKEY_RE.test(value)
}

const HANDLE_RE = /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/
/** a handle (https://atproto.com/specs/handle): a DNS name of at most 253 characters, TLD not numeric */
export function isHandle(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && HANDLE_RE.test(value)
}
