// How a labels position (one seq per labeler) is kept in the cursor store: the record's
// `labelers` field, e.g. {"labelers":{"did:plc:a":1873,"did:plc:b":12},"sourceId":…}. Its
// number (gauges, status page) is the sum of the seqs: it grows with any labeler's progress.
import type { CursorCodec } from '../../cursor/cursor-store.ts'
import { isDid } from '../../events/atproto-syntax.ts'
import type { LabelsPosition } from './labels-source.ts'

export const labelsCursorCodec: CursorCodec<LabelsPosition> = {
  toFields: (position) => ({ labelers: position }),
  fromFields(fields, where) {
    const { labelers } = fields
    if (typeof labelers !== 'object' || labelers === null || Array.isArray(labelers)) {
      throw new Error(
        `stored cursor has no labelers' seqs (another source's cursor under the same source id?); where=${where}`,
      )
    }
    const position: Record<string, number> = {}
    for (const [did, seq] of Object.entries(labelers)) {
      if (!isDid(did) || !Number.isSafeInteger(seq) || (seq as number) < 0)
        throw new Error(`stored cursor holds an invalid labeler seq (${did}: ${String(seq)}); where=${where}`)
      position[did] = seq as number
    }
    return position
  },
  toNumber: (position) => Object.values(position).reduce((a, b) => a + b, 0),
}
