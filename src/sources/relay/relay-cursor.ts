// How the relay's position (a seq) is stored in a cursor record: `{"seq": N, …}`.
import type { CursorCodec } from '../../cursor/cursor-store.ts'

export const relayCursorCodec: CursorCodec<number> = {
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
