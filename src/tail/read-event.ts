// A Kafka message value → the few fields tail shows and filters on, whichever envelope atkafka
// wrote: the standard event, Osprey's {data:{action_name, data:<standard event>}, send_time}, or
// Jetstream's {did, time_us, kind, commit|identity|account} (told apart by shape, so one tail
// reads topics of any format).

export type TailAction = 'create' | 'update' | 'delete' | 'account' | 'identity' | 'sync' | 'info' | 'label'

export interface TailEvent {
  readonly envelope: 'standard' | 'osprey' | 'jetstream'
  readonly action: TailAction
  /** "" for info events (they carry no DID) */
  readonly did: string
  readonly time: string
  readonly seq?: number
  /** record operations only */
  readonly collection?: string
  readonly rkey?: string
  readonly record?: unknown
  /** the event body under its kind's key (operation, account, identity, sync, info, label) */
  readonly body: Record<string, unknown>
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const OPERATION_ACTIONS = new Set(['create', 'update', 'delete'])
const KINDS = ['account', 'identity', 'sync', 'info', 'label'] as const

/** The standard event inside `value`, or undefined when the value is neither shape. */
function readEvent(value: unknown): TailEvent | undefined {
  if (isObject(value) && isObject(value.data) && isObject(value.data.data) && 'send_time' in value) {
    const inner = readStandard(value.data.data)
    return inner && { ...inner, envelope: 'osprey' }
  }
  if (isObject(value) && typeof value.time_us === 'number') return readJetstream(value)
  return readStandard(value)
}

/** The message value as JSON, then readEvent; undefined for anything else. */
export function parseEventValue(value: string): TailEvent | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return undefined
  }
  return readEvent(parsed)
}

function readStandard(v: unknown): TailEvent | undefined {
  if (!isObject(v) || typeof v.did !== 'string') return undefined
  const base = {
    envelope: 'standard' as const,
    did: v.did,
    time: str(v.timestamp),
    ...(typeof v.seq === 'number' ? { seq: v.seq } : {}),
  }
  const op = v.operation
  if (isObject(op) && typeof op.action === 'string' && OPERATION_ACTIONS.has(op.action)) {
    return {
      ...base,
      action: op.action as TailAction,
      collection: str(op.collection),
      rkey: str(op.rkey),
      // a delete's record is null (or absent, in older output): no record either way
      ...(op.record !== undefined && op.record !== null ? { record: op.record } : {}),
      body: op,
    }
  }
  for (const kind of KINDS) {
    const body = v[kind]
    if (isObject(body)) return { ...base, action: kind, body }
  }
  return undefined
}

const JETSTREAM_KINDS = ['account', 'identity'] as const

/** Jetstream's shape: commits carry no event time, so theirs is time_us (when atkafka wrote it) */
function readJetstream(v: Json): TailEvent | undefined {
  if (typeof v.did !== 'string' || typeof v.time_us !== 'number') return undefined
  const base = { envelope: 'jetstream' as const, did: v.did }
  const written = Number.isFinite(v.time_us) ? new Date(v.time_us / 1000).toISOString() : ''
  const c = v.commit
  if (
    v.kind === 'commit' &&
    isObject(c) &&
    typeof c.operation === 'string' &&
    OPERATION_ACTIONS.has(c.operation)
  ) {
    return {
      ...base,
      time: written,
      action: c.operation as TailAction,
      collection: str(c.collection),
      rkey: str(c.rkey),
      ...(c.record !== undefined ? { record: c.record } : {}),
      body: c,
    }
  }
  for (const kind of JETSTREAM_KINDS) {
    const body = v[kind]
    if (v.kind !== kind || !isObject(body)) continue
    return {
      ...base,
      time: str(body.time) || written,
      action: kind,
      ...(typeof body.seq === 'number' ? { seq: body.seq } : {}),
      body,
    }
  }
  return undefined
}
