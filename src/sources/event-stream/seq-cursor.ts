// How an event stream's position (a seq: the relay's, a labeler's) is stored in a cursor
// record: `{"seq": N, …}`.
import type { CursorCodec } from '../../cursor/cursor-store.ts'

export const seqCursorCodec: CursorCodec<number> = {
  toFields: (seq) => ({ seq }),
  fromFields(fields, where) {
    const { seq } = fields
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new Error(`stored cursor has no valid seq; where=${where}`)
    }
    return seq
  },
  toNumber: (seq) => seq,
}
