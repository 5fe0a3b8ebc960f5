// Ozone moderation events in both output formats: the standard value is the ModEventView as
// Ozone returned it (here one recorded from the real Ozone of the integration tests), the
// Osprey envelope carries it under an action name taken from its $type.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { eventActionId, identityBits } from '../../../src/encode/event-action-id.ts'
import { createSnowflake, OSPREY_EPOCH_MS } from '../../../src/encode/snowflake.ts'
import { moderationActionName, ospreyActionName } from '../../../src/events/action-name.ts'
import type { ModerationEvent } from '../../../src/events/atproto-event.ts'

// as queryEvents answered in test/integration/ozone-api.test.ts (no handles: no AppView there)
const view = {
  id: 1,
  event: {
    $type: 'tools.ozone.moderation.defs#modEventTakedown',
    comment: 'spam ring',
    durationInHours: 24,
    policies: ['spam'],
  },
  subject: {
    $type: 'com.atproto.repo.strongRef',
    uri: 'at://did:plc:xiakc2v7g3s3y62xmyd3v6ox/app.bsky.feed.post/3l',
    cid: 'bafyreib',
  },
  subjectBlobCids: [],
  createdBy: 'did:plc:mt533fw5243n5tirksugycl3',
  createdAt: '2026-12-04T14:35:24.512Z',
  modTool: { name: 'ozone-ui', meta: { batchId: 'b1' } },
}
const event: ModerationEvent = {
  kind: 'moderation',
  id: 1,
  did: 'did:plc:xiakc2v7g3s3y62xmyd3v6ox',
  key: 'did:plc:xiakc2v7g3s3y62xmyd3v6ox',
  time: view.createdAt,
  view,
}
const snowflake = () => createSnowflake({ workerId: 1, now: () => Date.parse('2026-12-04T14:35:25Z') })

test('standard: the value is the view as returned, the key the event’s key', () => {
  const { key, value } = encodeEvent(event, { format: 'standard', snowflake: snowflake() })
  assert.equal(key, event.did)
  assert.equal(value.toString(), JSON.stringify(view))
  assert.equal(encodeEvent({ ...event, key: '1' }, { format: 'standard', snowflake: snowflake() }).key, '1')
  // moderation events are never enriched: metadata is ignored rather than spliced into the view
  assert.equal(
    encodeEvent(event, { format: 'standard', snowflake: snowflake(), metadata: { x: 1 } }).value.toString(),
    JSON.stringify(view),
  )
})

test('osprey: the envelope carries the view; action name ozone#<event type>', () => {
  const value = JSON.parse(encodeEvent(event, { format: 'osprey', snowflake: snowflake() }).value.toString())
  assert.equal(value.data.action_name, 'ozone#modEventTakedown')
  assert.deepEqual(value.data.data, view)
  assert.equal(value.data.timestamp, view.createdAt)
  assert.equal(value.send_time, view.createdAt)
  assert.equal(typeof value.data.action_id, 'number')
})

test('action names: ozone defs shortened, other lexicons whole, none: ozone#unknown', () => {
  const named = (type: unknown) =>
    moderationActionName({ ...event, view: { ...view, event: { $type: type } } })
  assert.equal(named('tools.ozone.moderation.defs#modEventReport'), 'ozone#modEventReport')
  assert.equal(named('com.example.moderation#strike'), 'com.example.moderation#strike')
  assert.equal(named(undefined), 'ozone#unknown')
  assert.equal(ospreyActionName(event), 'ozone#modEventTakedown')
})

test('--osprey-action-id event: the id carries the event’s createdAt and its Ozone id', () => {
  assert.equal(identityBits(event), 1)
  assert.equal(identityBits({ ...event, id: 2 ** 22 + 5 }), 5)
  const id = BigInt(eventActionId(event))
  assert.equal(Number(id >> 22n) + OSPREY_EPOCH_MS, Date.parse(view.createdAt))
  assert.equal(eventActionId(event), eventActionId({ ...event }), 'the same event, the same id')
})
