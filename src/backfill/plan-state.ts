// Where a plan is: which of its sources (hosts, collections, or the DID list) it is on, the page
// cursor within it, what it has planned, and whether it is complete. Saved in the cursor topic
// (or a file) under the plan's id after each page's items are in Kafka, so a planner restarted
// after a crash goes on from the page after the last saved one (that page's items may be
// written again: the workers skip a repo already done), and a complete plan run again adds
// nothing.
import type { CursorCodec } from '../cursor/cursor-store.ts'

export interface PlanState {
  /** index into the plan's sources */
  readonly step: number
  /** the listing's cursor within that source (DID lists: the next index) */
  readonly cursor?: string
  readonly planned: number
  /** repos listed but not planned: inactive, or whose PDS could not be resolved */
  readonly skipped: number
  readonly complete: boolean
  /** the relay's seq when the plan began (where live mode starts for no gap) */
  readonly liveSeq?: number
}

export const planStateCodec: CursorCodec<PlanState> = {
  toFields: (p) => ({ ...p }),
  fromFields(fields, where) {
    const { step, cursor, planned, skipped, complete, liveSeq } = fields
    const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0
    if (!count(step) || !count(planned) || !count(skipped) || typeof complete !== 'boolean') {
      throw new Error(`not a backfill plan state; where=${where}`)
    }
    if (cursor !== undefined && typeof cursor !== 'string')
      throw new Error(`plan cursor is not a string; where=${where}`)
    if (liveSeq !== undefined && !count(liveSeq)) throw new Error(`plan liveSeq is not a seq; where=${where}`)
    return {
      step: step as number,
      planned: planned as number,
      skipped: skipped as number,
      complete,
      ...(cursor === undefined ? {} : { cursor }),
      ...(liveSeq === undefined ? {} : { liveSeq: liveSeq as number }),
    }
  },
  toNumber: (p) => p.planned,
}
