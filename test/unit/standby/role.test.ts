// The standby role: transitions, the paused-writer check and readiness (src/standby/role.ts).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  afterJoin,
  fencedRole,
  joiningRole,
  pausedPastSession,
  type Role,
  standbyReady,
  steppedDown,
} from '../../../src/standby/role.ts'

test('joining → standby → writer (a takeover, with its generation) → fenced, which is final', () => {
  const joining = joiningRole(1000)
  const standby = afterJoin(joining, false, 1, 2000)
  assert.deepEqual(standby, { ...joining, state: 'standby', sinceMs: 2000 })
  assert.equal(
    afterJoin(standby, false, 2, 3000),
    standby,
    'another generation without the partition: still waiting since 2000',
  )
  const writer = afterJoin(standby, true, 3, 4000)
  assert.deepEqual(writer, {
    state: 'writer',
    sinceMs: 4000,
    generation: 3,
    lastTakeover: { atMs: 4000, generation: 3 },
    reason: null,
  })
  assert.equal(
    afterJoin(writer, true, 4, 5000),
    writer,
    'a rebalance that leaves the writer its partition changes nothing',
  )
  const fenced = afterJoin(writer, false, 5, 6000)
  assert.equal(fenced.state, 'fenced')
  assert.equal(fenced.sinceMs, 6000)
  assert.match(fenced.reason ?? '', /another member/)
  assert.deepEqual(fenced.lastTakeover, { atMs: 4000, generation: 3 }, 'the last takeover is kept')
  assert.equal(afterJoin(fenced, true, 6, 7000), fenced, 'fenced is final: the process exits')
  assert.equal(fencedRole(fenced, 'again', 8000), fenced)
})

test('a writer stopping cleanly steps down before it leaves the group; others are unchanged', () => {
  const writer = afterJoin(joiningRole(0), true, 1, 10)
  const down = steppedDown(writer, 50)
  assert.equal(down.state, 'standby')
  assert.equal(down.sinceMs, 50)
  assert.deepEqual(down.lastTakeover, { atMs: 10, generation: 1 })
  const standby = afterJoin(joiningRole(0), false, 1, 10)
  assert.equal(steppedDown(standby, 50), standby)
})

test('the first member writes straight from joining', () => {
  const writer = afterJoin(joiningRole(0), true, 1, 10)
  assert.equal(writer.state, 'writer')
  assert.deepEqual(writer.lastTakeover, { atMs: 10, generation: 1 })
})

test('a writer is taken for dropped only after a pause and a whole session without a confirmed heartbeat', () => {
  const base = { lastTickMs: 10_000, sessionTimeoutMs: 6000, pauseMs: 1000 }
  // SIGSTOPped at 10 s for 20 s; the last heartbeat the coordinator answered was sent at 9.5 s
  assert.equal(pausedPastSession({ ...base, nowMs: 30_000, lastConfirmedMs: 9500 }), true)
  // paused 3 s only: the coordinator still has it (its last heartbeat was sent 3.5 s ago)
  assert.equal(pausedPastSession({ ...base, nowMs: 13_000, lastConfirmedMs: 9500 }), false)
  // paused 5 s, but the last confirmed heartbeat was sent 6.5 s ago: the coordinator may have dropped it
  assert.equal(pausedPastSession({ ...base, nowMs: 15_000, lastConfirmedMs: 8500 }), true)
  // running (ticks every 100 ms) through a slow rebalance without heartbeats: kept
  assert.equal(
    pausedPastSession({ ...base, lastTickMs: 29_900, nowMs: 30_000, lastConfirmedMs: 9500 }),
    false,
  )
})

test('ready: a standby while the coordinator answers it, a writer once its upstream is connected; never joining or fenced', () => {
  const at = (state: Role['state']): Role => ({ ...joiningRole(0), state })
  const p = { nowMs: 20_000, lastConfirmedMs: 18_000, sessionTimeoutMs: 6000, upstreamConnected: false }
  assert.equal(standbyReady({ ...p, role: at('standby') }), true)
  assert.equal(
    standbyReady({ ...p, role: at('standby'), lastConfirmedMs: 13_000 }),
    false,
    'broker unreachable for a session',
  )
  assert.equal(standbyReady({ ...p, role: at('writer') }), false, 'writer not connected to its upstream yet')
  assert.equal(standbyReady({ ...p, role: at('writer'), upstreamConnected: true }), true)
  assert.equal(standbyReady({ ...p, role: at('joining'), upstreamConnected: true }), false)
  assert.equal(standbyReady({ ...p, role: at('fenced'), upstreamConnected: true }), false)
})
