// One subscribeLabels websocket frame (DAG-CBOR header {op, t} then DAG-CBOR body) → labels.
// Never throws on bad input: what cannot be used is a drop with its reason, the frame's seq
// kept whenever the body has one so the cursor moves past it. Bounds: the frame's size is the
// socket's limit (never read past it); a #labels frame holding more than `maxLabels` labels is
// dropped whole (`lexicon_limit`, with its seq), as is a body over `maxBodyBytes` before it is
// decoded (decoding takes up to ~64 bytes of heap per byte). Pure.
import { decodeFirst } from '@atcute/cbor'
import type { DropReason } from '../../errors.ts'
import { type Label, parseLabel } from './label.ts'

export interface LabelsFrameLimits {
  /** labels in one #labels frame */
  readonly maxLabels: number
  /** bytes of a body, checked before decoding */
  readonly maxBodyBytes: number
}

export interface LabelDrop {
  readonly reason: DropReason
  readonly detail: string
}

export interface LabelsFrame {
  readonly seq?: number
  readonly labels: readonly Label[]
  readonly drops: readonly LabelDrop[]
  /** a #info message (OutdatedCursor) */
  readonly info?: { readonly name: string; readonly message?: string }
  /** an error frame (header op -1), e.g. FutureCursor */
  readonly error?: { readonly name: string; readonly message?: string }
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
const seqOf = (body: Record<string, unknown>) =>
  Number.isSafeInteger(body.seq) && (body.seq as number) >= 0 ? (body.seq as number) : undefined
const optionalString = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : false)

const dropped = (reason: DropReason, detail: string, seq?: number): LabelsFrame =>
  seq === undefined ? { labels: [], drops: [{ reason, detail }] } : { seq, labels: [], drops: [{ reason, detail }] }

export function decodeLabelsFrame(bytes: Uint8Array, limits: LabelsFrameLimits): LabelsFrame {
  let header: unknown
  let body: unknown
  let rest: Uint8Array
  try {
    ;[header, rest] = decodeFirst(bytes)
  } catch {
    return dropped('malformed_frame', 'header is not DAG-CBOR')
  }
  if (!isMap(header) || !Number.isSafeInteger(header.op)) return dropped('malformed_frame', 'header is not {op, t}')
  if (rest.length > limits.maxBodyBytes)
    return dropped('lexicon_limit', `body of ${rest.length} bytes is over ${limits.maxBodyBytes}; not decoded`)
  try {
    ;[body, rest] = decodeFirst(rest)
  } catch {
    return dropped('malformed_frame', 'body is not DAG-CBOR')
  }
  if (!isMap(body)) return dropped('malformed_frame', 'body is not a map')
  if (rest.length !== 0) return dropped('malformed_frame', `${rest.length} bytes after the body`, seqOf(body))
  if (header.op === -1) {
    const message = optionalString(body.message)
    if (typeof body.error !== 'string' || message === false) return dropped('invalid_event', 'error frame without error')
    return { labels: [], drops: [], error: message === undefined ? { name: body.error } : { name: body.error, message } }
  }
  const seq = seqOf(body)
  if (header.op !== 1) return dropped('unknown_kind', `unknown header op ${header.op}`, seq)
  switch (header.t) {
    case '#labels': {
      if (seq === undefined || !Array.isArray(body.labels))
        return dropped('invalid_event', '#labels without seq or labels', seq)
      if (body.labels.length > limits.maxLabels)
        return dropped('lexicon_limit', `#labels seq=${seq}: ${body.labels.length} labels, over ${limits.maxLabels}`, seq)
      const labels: Label[] = []
      const drops: LabelDrop[] = []
      for (const value of body.labels) {
        const label = parseLabel(value)
        if (typeof label === 'string') drops.push({ reason: 'invalid_event', detail: `#labels seq=${seq}: ${label}` })
        else labels.push(label)
      }
      return { seq, labels, drops }
    }
    case '#info': {
      const message = optionalString(body.message)
      if (typeof body.name !== 'string' || message === false) return dropped('invalid_event', '#info without name')
      return { labels: [], drops: [], info: message === undefined ? { name: body.name } : { name: body.name, message } }
    }
    default:
      return dropped('unknown_kind', `unknown message type ${JSON.stringify(String(header.t).slice(0, 64))}`, seq)
  }
}
