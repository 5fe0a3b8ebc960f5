// The role of an instance run with --standby, as the status report, /readyz and the
// atkafka_writer gauge read it: pure transitions and checks, the clock passed in.
//
//   joining ─► standby ─► writer ─► fenced
//      └────────────────────┘   └─► standby (stopping cleanly: it hands the role over)
//
// fenced is final: the process exits (docs/guarantees.md), and its supervisor restarts it as a
// new member that joins as a standby.

export type RoleState = 'joining' | 'standby' | 'writer' | 'fenced'

export interface Role {
  readonly state: RoleState
  /** ms since the epoch when this state began */
  readonly sinceMs: number
  /** writer: the group generation at which this instance took the role */
  readonly generation: number | null
  /** when this instance last became the writer, and at which generation */
  readonly lastTakeover: { readonly atMs: number; readonly generation: number } | null
  /** fenced: why */
  readonly reason: string | null
}

export function joiningRole(nowMs: number): Role {
  return { state: 'joining', sinceMs: nowMs, generation: null, lastTakeover: null, reason: null }
}

/** a group generation completed: this member holds the writer's partition or not */
export function afterJoin(role: Role, holds: boolean, generation: number, nowMs: number): Role {
  if (role.state === 'fenced') return role
  if (holds) {
    if (role.state === 'writer') return role
    return {
      state: 'writer',
      sinceMs: nowMs,
      generation,
      lastTakeover: { atMs: nowMs, generation },
      reason: null,
    }
  }
  if (role.state === 'writer')
    return fencedRole(role, 'the group gave the writer role to another member', nowMs)
  if (role.state === 'joining') return { ...role, state: 'standby', sinceMs: nowMs }
  return role
}

/** a writer stopping cleanly gives the role up before it leaves the group: it no longer writes */
export function steppedDown(role: Role, nowMs: number): Role {
  return role.state === 'writer' ? { ...role, state: 'standby', sinceMs: nowMs } : role
}

export function fencedRole(role: Role, reason: string, nowMs: number): Role {
  if (role.state === 'fenced') return role
  return { ...role, state: 'fenced', sinceMs: nowMs, reason }
}

/**
 * A writer whose event loop stood still (SIGSTOP, a long GC) for more than `pauseMs`, and whose
 * last heartbeat the coordinator answered was sent a whole session ago or more: the coordinator
 * has dropped it and may have given the role away, whatever this process still believes.
 * `lastConfirmedMs` is when that heartbeat was sent (at or before the coordinator received it),
 * so this answers true no later than the coordinator drops the member. The pause condition
 * keeps a writer that is running but waiting in a slow rebalance (no heartbeats then; the
 * coordinator keeps it) from giving up.
 */
export function pausedPastSession(p: {
  readonly nowMs: number
  readonly lastTickMs: number
  readonly lastConfirmedMs: number
  readonly sessionTimeoutMs: number
  readonly pauseMs: number
}): boolean {
  return p.nowMs - p.lastTickMs > p.pauseMs && p.nowMs - p.lastConfirmedMs >= p.sessionTimeoutMs
}

/**
 * /readyz with --standby. A standby is ready while it is a member of the group and the group
 * coordinator answered it within the session timeout (the broker is reachable): it can take
 * over. A writer is ready once its upstream is connected (as without --standby). Joining and
 * fenced instances are not ready.
 */
export function standbyReady(p: {
  readonly role: Role
  readonly nowMs: number
  readonly lastConfirmedMs: number
  readonly sessionTimeoutMs: number
  readonly upstreamConnected: boolean
}): boolean {
  switch (p.role.state) {
    case 'standby':
      return p.nowMs - p.lastConfirmedMs < p.sessionTimeoutMs
    case 'writer':
      return p.upstreamConnected
    default:
      return false
  }
}
