// Where the relay cursor lives between runs. Only a seq at or below which Kafka holds every
// event (the seq tracker's safe()) is ever saved.

export interface CursorStore {
  /** the saved seq for this source, or undefined when none was saved */
  load(): Promise<number | undefined>
  /** resolves once the seq is durably stored */
  save(seq: number): Promise<void>
  readonly description: string
}

/** The stored value: the seq plus what a human needs to judge it. */
export interface CursorRecord {
  readonly seq: number
  readonly sourceId: string
  readonly upstream: string
  readonly savedAt: string
}

export function parseCursorRecord(text: string, where: string): CursorRecord {
  const value = JSON.parse(text) as Partial<CursorRecord>
  if (typeof value.seq !== 'number' || !Number.isSafeInteger(value.seq) || value.seq < 0) {
    throw new Error(`stored cursor has no valid seq; where=${where}`)
  }
  return value as CursorRecord
}
