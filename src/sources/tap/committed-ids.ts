// --exactly-once over Tap: the ids whose events are in Kafka (or in the open transaction) and
// that Tap may still send again. Tap's acks live outside Kafka, so an event is acked only after
// the transaction holding it committed, and its id is kept in the cursor record committed with
// that same transaction (read_committed on restart). A redelivery of a kept id (Tap resends
// an unacked event with the same id and the same bytes) is skipped and acked, never produced
// again. Pure: the clock is injected, frames read are counted by the caller.
//
// What Tap does (indigo cmd/tap outbox.go, at the pinned revision): every TAP_RETRY_TIMEOUT it
// queues again each event sent more than TAP_RETRY_TIMEOUT ago and not acked (every tick, the
// send time is not reset), on the same first-in first-out channel as new events (10,000 ×
// TAP_OUTBOX_PARALLELISM deep), which the websocket writes in order. On an ack it drops the id
// from its in-flight set at once (no copy is queued after that) and deletes the outbox row in
// batches, at the latest on a 10 s tick; a Tap that restarts sends every row still there
// again. It numbers new events from the highest id left in its outbox, so after a restart with
// an emptied outbox it hands out ids it used before: an id alone does not name an event, so
// each kept id carries a 32-bit fingerprint of the frame, and a frame under a kept id with
// another fingerprint is a new event (Tap reused the id) and is produced.
//
// So a copy of an id can still arrive after its ack: it was queued before Tap read the ack,
// and comes once the frames queued ahead of it have been read. An id leaves the set (is pruned)
// only when no copy can be on the way:
// - acked: its ack was written on a connection that stayed open settleMs (Tap read it and
//   deleted the row), and after that `depth` more frames were read (every copy queued before
//   the ack was read has then come through the channel, the sockets and our queue);
// - uncertain (its ack may be lost: the connection closed before that, or the id was read back
//   from the cursor after a restart): a connection was open redeliveryWindowMs (Tap resends an
//   unacked event within twice its retry timeout, and it would be acked again), and after that
//   `depth` more frames were read.
// A committed id whose ack is not written yet never leaves. The set is bounded in count and in
// the bytes it takes in the cursor record: at the bound a frame with a new id is refused (not
// produced, not acked, not kept: Tap keeps it and sends it again after its retry timeout), while
// frames go on being read, so the set drains. Nothing is lost and no id is evicted early.

export interface CommittedIdsLimits {
  /** most ids kept (in flight, in the open transaction, and committed) */
  readonly maxIds: number
  /** most bytes the kept ids take in the cursor record (base64) */
  readonly maxBytes: number
  /** an ack written on a connection that stayed open this long has been read by Tap */
  readonly settleMs: number
  /** an id whose ack may be lost waits a connection open this long for Tap to send it again */
  readonly redeliveryWindowMs: number
  /** frames that can be queued ahead of a copy Tap sends: its channel, the sockets, our queue */
  readonly depth: number
}

/** one kept id: Tap's event id and a fingerprint of the frame Tap sent under it */
export interface TapId {
  readonly id: number
  /** unsigned 32-bit */
  readonly fp: number
}

/** the position of a Tap run under --exactly-once: the kept ids, ascending */
export interface TapPosition {
  readonly ids: readonly TapId[]
}

/**
 * reading: read, in the pipeline (not in the cursor record); staged: in the open transaction;
 * committed: committed, ack not written yet; acked: ack written on connection `conn` at `at`;
 * uncertain: committed, whether Tap got the ack is unknown. `mark`: the frames read when the
 * entry's wait for time ended (-1 while it lasts)
 */
type State = 'reading' | 'staged' | 'committed' | 'acked' | 'uncertain'

interface Entry {
  fp: number
  state: State
  at: number
  conn: number
  mark: number
}

/** what a frame read from Tap is */
type Receipt =
  /** not kept: produce it (reused: Tap reused a kept id for a new event) */
  | 'new'
  | 'reused'
  /** a copy of an id whose event is still in the pipeline or the open transaction: skip, its ack follows the commit */
  | 'in_flight'
  /** a copy of a committed id: skip it and ack it now */
  | 'committed'
  /** a new id while the set is at its bound: neither produce nor ack it (Tap sends it again) */
  | 'refused'

export interface CommittedIds {
  /** a frame with this id and fingerprint was read; throws when Tap sent another event under an id still in flight */
  receive(id: number, fp: number): Receipt
  /** the pipeline acked these ids (new ones): their records are in the open transaction */
  staged(ids: readonly number[]): void
  /** the ids to keep in the cursor record; the same object (===) while the set has not changed; undefined before any change */
  position(): TapPosition | undefined
  /** a transaction carrying `position` committed: returns the ids to ack to Tap now */
  committed(position: TapPosition): number[]
  /** the ack of `id` was written on the open connection */
  ackSent(id: number): void
  /** a connection to Tap opened */
  opened(): void
  /** the connection closed: acks written on it may not have arrived */
  closed(): void
  /** drops the ids of which no copy can come any more; returns how many left */
  prune(): number
  /** the ids committed by an earlier run (read from the cursor): kept as uncertain ones */
  restore(position: TapPosition): void
  /** ids kept */
  readonly size: number
  /** bytes they take in the cursor record (an upper bound) */
  readonly bytes: number
}

const FP_BYTES = 4

export function createCommittedIds(limits: CommittedIdsLimits, now: () => number = Date.now): CommittedIds {
  const entries = new Map<number, Entry>()
  let rawBytes = 0
  let version = 0
  let snapshot: TapPosition | undefined
  let snapshotVersion = 0
  let conn = 0
  let open = false
  let openedAt = 0
  /** frames read, every one (skipped and refused ones too) */
  let frames = 0

  const add = (id: number, fp: number, state: State) => {
    entries.set(id, { fp, state, at: 0, conn: 0, mark: -1 })
    rawBytes += entryBytes(id)
  }
  const remove = (id: number) => {
    entries.delete(id)
    rawBytes -= entryBytes(id)
  }
  const fits = (id: number) =>
    entries.size < limits.maxIds && storedBytes(rawBytes + entryBytes(id)) <= limits.maxBytes

  return {
    receive(id, fp) {
      frames++
      const e = entries.get(id)
      if (!e) {
        if (!fits(id)) return 'refused'
        add(id, fp, 'reading')
        return 'new'
      }
      const inFlight = e.state === 'reading' || e.state === 'staged'
      if (e.fp === fp) return inFlight ? 'in_flight' : 'committed'
      if (inFlight) {
        throw new Error(
          `tap sent another event under id ${id} while the first was not acked yet (fingerprints ${e.fp} and ${fp})`,
        )
      }
      // Tap deleted the acked row, restarted and numbered a new event with the same id
      e.fp = fp
      e.state = 'reading'
      e.mark = -1
      version++
      return 'reused'
    },
    staged(ids) {
      let changed = false
      for (const id of ids) {
        const e = entries.get(id)
        if (e?.state !== 'reading') continue
        e.state = 'staged'
        changed = true
      }
      if (changed) version++
    },
    position() {
      if (version === 0) return undefined
      if (snapshotVersion !== version) {
        const ids: TapId[] = []
        for (const [id, e] of entries) if (e.state !== 'reading') ids.push({ id, fp: e.fp })
        ids.sort((a, b) => a.id - b.id)
        snapshot = { ids }
        snapshotVersion = version
      }
      return snapshot
    },
    committed(position) {
      const ack: number[] = []
      for (const { id } of position.ids) {
        const e = entries.get(id)
        if (e?.state !== 'staged') continue
        e.state = 'committed'
        ack.push(id)
      }
      return ack
    },
    ackSent(id) {
      const e = entries.get(id)
      if (!e || e.state === 'reading' || e.state === 'staged' || !open) return
      e.state = 'acked'
      e.at = now()
      e.conn = conn
      e.mark = -1
    },
    opened() {
      conn++
      open = true
      openedAt = now()
    },
    closed() {
      open = false
      for (const e of entries.values()) {
        if (e.state === 'acked') e.state = 'uncertain'
        if (e.state === 'uncertain') e.mark = -1
      }
    },
    prune() {
      if (!open) return 0
      const t = now()
      const windowPassed = t - openedAt >= limits.redeliveryWindowMs
      let removed = 0
      for (const [id, e] of entries) {
        if (e.mark < 0) {
          const waited =
            (e.state === 'acked' && e.conn === conn && t - e.at >= limits.settleMs) ||
            (e.state === 'uncertain' && windowPassed)
          if (waited) e.mark = frames
          continue
        }
        if (frames - e.mark < limits.depth) continue
        remove(id)
        removed++
      }
      if (removed > 0) version++
      return removed
    },
    restore(position) {
      for (const { id, fp } of position.ids) if (!entries.has(id)) add(id, fp, 'uncertain')
    },
    get size() {
      return entries.size
    },
    get bytes() {
      return storedBytes(rawBytes)
    },
  }
}

/** an entry in the cursor record: the id as a varint delta (at most its own varint) and the fingerprint */
function entryBytes(id: number): number {
  return FP_BYTES + varintLength(id)
}

/** base64 of `raw` bytes */
function storedBytes(raw: number): number {
  return Math.ceil(raw / 3) * 4
}

function varintLength(n: number): number {
  let length = 1
  while (n >= 128) {
    n = Math.floor(n / 128)
    length++
  }
  return length
}

/** the kept ids as stored: each id as the unsigned LEB128 varint of its distance from the one before, then its fingerprint (4 bytes, big-endian), base64 */
export function encodeTapIds(ids: readonly TapId[]): string {
  const out = Buffer.allocUnsafe(ids.length * (FP_BYTES + 8))
  let at = 0
  let previous = 0
  for (const { id, fp } of ids) {
    let delta = id - previous
    previous = id
    while (delta >= 128) {
      out[at++] = (delta % 128) | 0x80
      delta = Math.floor(delta / 128)
    }
    out[at++] = delta
    out.writeUInt32BE(fp, at)
    at += FP_BYTES
  }
  return out.subarray(0, at).toString('base64')
}

/** throws an Error naming what is wrong */
export function decodeTapIds(text: string, count: number): TapId[] {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.toString('base64') !== text) throw new Error('the Tap ids are not base64')
  const ids: TapId[] = []
  let at = 0
  let previous = 0
  while (at < bytes.length) {
    let delta = 0
    let scale = 1
    for (;;) {
      if (at >= bytes.length || scale > 2 ** 49) throw new Error('the Tap ids are cut short or malformed')
      const b = bytes[at++] as number
      delta += (b & 0x7f) * scale
      scale *= 128
      if (b < 0x80) break
    }
    if (at + FP_BYTES > bytes.length) throw new Error('the Tap ids are cut short')
    const id = previous + delta
    if ((ids.length > 0 && delta === 0) || !Number.isSafeInteger(id))
      throw new Error('the Tap ids are not ascending')
    ids.push({ id, fp: bytes.readUInt32BE(at) })
    at += FP_BYTES
    previous = id
  }
  if (ids.length !== count) throw new Error(`the Tap ids hold ${ids.length} ids, the record says ${count}`)
  return ids
}
