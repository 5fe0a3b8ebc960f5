// What atkafka writes for Jetstream v2's events: in --format jetstream, every recorded event is
// the Go reference client's view of it (commit, identity and account objects field by field;
// identity/account carry the relay's seq and time, as Jetstream serves them); in the standard
// format, Jetstream's seq on top, the relay's inside, `live` telling archive from live.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toJetstreamJson } from '../../../src/encode/jetstream-event.ts'
import { toStandardJson } from '../../../src/encode/standard-event.ts'
import { clientView, recordedEvents } from '../../helpers/jetstream-v2-fixtures.ts'

test("--format jetstream: every recorded commit, identity and account event is the Go client's view of it", async () => {
  const events = await recordedEvents()
  const view = clientView('client_full')
  assert.equal(events.length, view.length)
  let compared = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    const want = view[i]!
    if (event.kind === 'sync') continue // Jetstream v1 has no #sync (left out in this format)
    if (event.kind !== 'operation' && event.kind !== 'identity' && event.kind !== 'account')
      throw new Error(event.kind)
    const { time_us: _ours, ...got } = JSON.parse(toJetstreamJson(event, 1))
    const { cursor: _c, time_us: _theirs, ...expected } = want
    assert.deepEqual(got, expected, `seq ${want.cursor}`)
    compared++
  }
  assert.equal(compared, 6689 - 2)
})

test('standard format: Jetstream seq on top, the relay seq inside, live or archive', async () => {
  const events = await recordedEvents()
  const identity = events.find((e) => e.kind === 'identity' && e.live === false)!
  const standard = JSON.parse(toStandardJson(identity))
  assert.equal(identity.kind, 'identity')
  if (identity.kind !== 'identity') return
  assert.equal(standard.seq, identity.seq)
  assert.equal(standard.identity.seq, identity.relay!.seq)
  assert.equal(standard.identity.live, false)
  const op = JSON.parse(toStandardJson(events.at(-1)!))
  assert.equal(op.operation.live, true)
  assert.equal(op.seq, 6691)
})
