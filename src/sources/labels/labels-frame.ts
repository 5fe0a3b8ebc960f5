// One frame of a labeler's com.atproto.label.subscribeLabels → events: a #labels message gives
// one label event per label (verified afterwards, labels-source.ts), a #info message an info
// event (OutdatedCursor); the framing (header, error frames, body size limit before decoding)
// is the event stream's (event-stream/stream-frame.ts). A label that breaks its lexicon is a
// drop beside the good ones; a #labels frame holding more than `maxLabels` labels is dropped
// whole (`lexicon_limit`) with its seq, so the cursor moves past it. Pure.
import { DecodeError } from '../../errors.ts'
import type { AtprotoEvent } from '../../events/atproto-event.ts'
import { optionalString } from '../event-stream/body-fields.ts'
import {
  type DecodedFrame,
  dropped,
  invalidFields,
  type MessageDecoder,
  readStreamFrame,
  type StreamLexicon,
} from '../event-stream/stream-frame.ts'
import { parseLabel } from './label.ts'

export const SUBSCRIBE_LABELS = 'com.atproto.label.subscribeLabels'

export interface LabelsFrameLimits {
  /** labels in one #labels frame */
  readonly maxLabels: number
  /** bytes of a #labels body, checked before decoding (the frame limit bounds it too) */
  readonly maxBodyBytes: number
}

/** #info and error frames are small by their lexicon */
const MAX_INFO_BYTES = 64 * 1024

function lexicon(limits: LabelsFrameLimits): StreamLexicon {
  return {
    types: new Set(['#labels', '#info']),
    maxBodyBytes: (type) => (type === '#labels' ? limits.maxBodyBytes : MAX_INFO_BYTES),
  }
}

/** one labeler's stream: its lexicon, and its messages → events (its label events name `labeler`) */
export function labelsStream(
  labeler: string,
  limits: LabelsFrameLimits,
): { readonly lexicon: StreamLexicon; readonly decodeMessage: MessageDecoder<() => string> } {
  return {
    lexicon: lexicon(limits),
    decodeMessage: (type, body, seq, receivedAt) =>
      decodeMessage(labeler, limits, type, body, seq, receivedAt),
  }
}

/** a whole frame → events, the framing read as the event stream reads it (tests, benchmarks) */
export function labelsFrameDecoder(
  labeler: string,
  limits: LabelsFrameLimits,
): (bytes: Uint8Array, receivedAt: () => string) => DecodedFrame {
  const { lexicon: lex, decodeMessage: decode } = labelsStream(labeler, limits)
  return (bytes, receivedAt) => readStreamFrame(bytes, lex, decode, receivedAt)
}

function decodeMessage(
  labeler: string,
  limits: LabelsFrameLimits,
  type: string,
  body: Record<string, unknown>,
  seq: number | undefined,
  receivedAt: () => string,
): DecodedFrame {
  switch (type) {
    case '#labels': {
      if (seq === undefined || !Array.isArray(body.labels)) return invalidFields(type, 'seq or labels', seq)
      if (body.labels.length > limits.maxLabels) {
        const drop = new DecodeError(
          'lexicon_limit',
          `#labels seq=${seq}: ${body.labels.length} labels, over the ${limits.maxLabels} a frame may hold; dropped whole`,
        )
        return { seq, events: [], drops: [drop] }
      }
      const events: AtprotoEvent[] = []
      const drops: DecodeError[] = []
      body.labels.forEach((value: unknown, index: number) => {
        const label = parseLabel(value)
        if (typeof label === 'string') {
          drops.push(new DecodeError('invalid_event', `#labels seq=${seq} label ${index}: ${label}`))
          return
        }
        events.push({
          kind: 'label',
          did: label.subject,
          seq,
          index,
          labeler,
          time: label.cts,
          src: label.src,
          val: label.val,
          neg: label.neg,
          label: label.raw,
        })
      })
      return { seq, events, drops }
    }
    case '#info': {
      const message = optionalString(body.message)
      if (typeof body.name !== 'string' || message === false)
        return invalidFields(type, 'name or message', undefined)
      const time = receivedAt()
      const info: AtprotoEvent =
        message === undefined
          ? { kind: 'info', name: body.name, time }
          : { kind: 'info', name: body.name, message, time }
      return { events: [info], drops: [] }
    }
    default:
      return dropped('unknown_kind', `unknown message type ${JSON.stringify(type.slice(0, 64))}`, seq)
  }
}
