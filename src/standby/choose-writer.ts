// Which member of the standby group writes. Each member announces, in its group subscription,
// the group generation at which it became the writer (null while it waits) and when it started.
// The member that became writer most recently keeps the role (an older claimant is a zombie the
// group already replaced); with no claimant, the longest-running member takes it. A restarted
// old writer therefore joins as a standby instead of taking the role back.

export interface WriterClaim {
  /** group generation at which this member became the writer; null: it waits */
  readonly writerGeneration: number | null
  /** ms since the epoch when the process started */
  readonly startedAt: number
}

export function encodeClaim(claim: WriterClaim): Buffer {
  return Buffer.from(JSON.stringify(claim))
}

export function decodeClaim(data: Buffer | string | null | undefined): WriterClaim {
  try {
    const v = JSON.parse(data ? data.toString() : '{}') as Partial<WriterClaim>
    return {
      writerGeneration: typeof v.writerGeneration === 'number' ? v.writerGeneration : null,
      startedAt: typeof v.startedAt === 'number' ? v.startedAt : Number.MAX_SAFE_INTEGER,
    }
  } catch {
    // a member that is not atkafka (or a future format): it never wins over a known claim
    return { writerGeneration: null, startedAt: Number.MAX_SAFE_INTEGER }
  }
}

export function chooseWriter(
  members: readonly { memberId: string; claim: WriterClaim }[],
): string | undefined {
  const sorted = [...members].sort((a, b) => {
    const ga = a.claim.writerGeneration ?? -1
    const gb = b.claim.writerGeneration ?? -1
    if (ga !== gb) return gb - ga
    if (a.claim.startedAt !== b.claim.startedAt) return a.claim.startedAt - b.claim.startedAt
    return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0
  })
  return sorted[0]?.memberId
}
