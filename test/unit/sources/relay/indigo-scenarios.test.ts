// indigo's relay scenarios and live #commit bodies, re-encoded as wire frames: each frame
// decodes (no throw, no drop) into exactly what its body says.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AtprotoEvent } from '../../../../src/events/atproto-event.ts'
import { decodeFrame } from '../../../../src/sources/relay/decode-frame.ts'
import { loadFirehoseCommits, loadScenario, scenarioNames } from '../../../helpers/indigo-scenarios.ts'

const now = () => '2026-01-01T00:00:00.000Z'

/** the events a frame's body (DAG-JSON) says it carries */
function expectedEvents(t: string | undefined, body: Record<string, unknown>): unknown[] {
  const { seq, time } = body
  switch (t) {
    case '#commit':
      return (body.ops as { action: string; path: string; cid: { $link: string } | null }[]).map((op, i) => {
        const [collection, rkey] = op.path.split('/')
        const base = {
          kind: 'operation',
          did: body.repo,
          seq,
          opIndex: i,
          rev: body.rev,
          time,
          action: op.action,
          collection,
          rkey,
        }
        return op.action === 'delete' ? base : { ...base, cid: op.cid?.$link }
      })
    case '#identity':
      return [{ kind: 'identity', did: body.did, seq, time, ...(body.handle ? { handle: body.handle } : {}) }]
    case '#account':
      return [
        {
          kind: 'account',
          did: body.did,
          seq,
          time,
          active: body.active,
          ...(body.status ? { status: body.status } : {}),
        },
      ]
    case '#sync':
      return [{ kind: 'sync', did: body.did, seq, rev: body.rev, time }]
    default:
      throw new Error(`no expectation for ${t}`)
  }
}

/** records are checked elsewhere (corpus, data model); here only that creates/updates carry one */
function withoutRecords(events: AtprotoEvent[]): unknown[] {
  return events.map((e) => {
    if (e.kind !== 'operation') return e
    const { record, ...rest } = e
    assert.equal(record === undefined, e.action === 'delete', `record presence for ${e.action}`)
    return rest
  })
}

describe('indigo relay scenarios', () => {
  const names = scenarioNames()
  test('all seven scenario files are there', () => assert.equal(names.length, 7))

  for (const name of names) {
    test(name, () => {
      const scenario = loadScenario(name)
      assert.ok(scenario.messages.length > 0)
      for (const [i, m] of scenario.messages.entries()) {
        const where = `${name} message ${i} (${m.header.t})`
        const frame = decodeFrame(m.frame, now)
        assert.deepEqual(frame.drops, [], where)
        assert.equal(frame.seq, m.seq, where)
        assert.deepEqual(withoutRecords(frame.events), expectedEvents(m.header.t, m.body), where)
      }
    })
  }
})

describe('indigo live #commit bodies (firehose-commits)', () => {
  const commits = loadFirehoseCommits()
  test('all four files are there', () => assert.equal(commits.length, 4))

  for (const c of commits) {
    test(c.name, () => {
      const frame = decodeFrame(c.frame, now)
      assert.deepEqual(frame.drops, [])
      assert.equal(frame.seq, c.body.seq)
      assert.deepEqual(withoutRecords(frame.events), expectedEvents('#commit', c.body))
      for (const e of frame.events) {
        if (e.kind === 'operation' && e.record) {
          assert.equal(
            (e.record as { $type?: unknown }).$type,
            e.collection,
            'record $type is its collection',
          )
        }
      }
    })
  }
})
