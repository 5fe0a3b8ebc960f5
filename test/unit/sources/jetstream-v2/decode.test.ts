// atkafka's decoded events equal the upstream Go client's decoded view, field by field, for
// every event of the recordings: the archive rows (client_full, seq ≤ 2890: its archive path)
// and the live frames (client_live: the same cursor, plain and dict-zstd).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AtprotoEvent } from '../../../../src/events/atproto-event.ts'
import { microsToTime } from '../../../../src/sources/jetstream-v2/archive-event.ts'
import { decodeLiveMessage, inflateMessage } from '../../../../src/sources/jetstream-v2/live-frame.ts'
import {
  type ClientEvent,
  clientView,
  liveMessages,
  recordedArchiveEvents,
  zstdDictionary,
} from '../../../helpers/jetstream-v2-fixtures.ts'

const SEALED_TIP = 2890

/** µs since the epoch of Jetstream's `time` (six fractional digits) */
function timeUs(time: string): number {
  const [whole, fraction] = time.slice(0, -1).split('.') as [string, string]
  return Date.parse(`${whole}Z`) * 1000 + Number(fraction.padEnd(6, '0'))
}

/** our event as the Go client prints it (cmd/client --print), record_cbor aside */
function asClientEvent(event: AtprotoEvent): ClientEvent {
  const json = (v: unknown) => JSON.parse(JSON.stringify(v))
  switch (event.kind) {
    case 'operation':
      return {
        did: event.did,
        cursor: event.seq!,
        time_us: timeUs(event.time),
        kind: 'commit',
        commit: json({
          operation: event.action,
          collection: event.collection,
          rkey: event.rkey,
          rev: event.rev,
          cid: event.cid,
          record: event.record,
        }),
      }
    case 'identity':
      return {
        did: event.did,
        cursor: event.seq!,
        time_us: timeUs(event.time),
        kind: 'identity',
        identity: json({
          did: event.did,
          handle: event.handle,
          seq: event.relay?.seq,
          time: event.relay?.time,
        }),
      }
    case 'account':
      return {
        did: event.did,
        cursor: event.seq,
        time_us: timeUs(event.time),
        kind: 'account',
        account: json({
          did: event.did,
          active: event.active,
          status: event.status,
          seq: event.relay?.seq,
          time: event.relay?.time,
        }),
      }
    case 'sync':
      return {
        did: event.did,
        cursor: event.seq,
        time_us: timeUs(event.time),
        kind: 'sync',
        sync: { did: event.did, rev: event.rev, seq: event.relay!.seq, time: event.relay!.time },
      }
    default:
      throw new Error(`no client view of ${event.kind}`)
  }
}

function liveEvents(stream: string, dictionary?: Buffer): AtprotoEvent[] {
  const events: AtprotoEvent[] = []
  for (const message of liveMessages(stream)) {
    const text = message.binary
      ? inflateMessage(message.data, dictionary!).toString('utf8')
      : message.data.toString('utf8')
    const frame = decodeLiveMessage(text, () => 'now')
    assert.deepEqual(frame.drops, [])
    events.push(...frame.events)
  }
  return events
}

function assertSameView(ours: AtprotoEvent[], theirs: ClientEvent[]) {
  assert.equal(ours.length, theirs.length)
  for (let i = 0; i < theirs.length; i++) {
    assert.deepEqual(asClientEvent(ours[i]!), theirs[i], `event ${i} (seq ${theirs[i]!.cursor})`)
  }
}

test("archive: every row decodes to the Go client's archive-path view, field by field (2,888 events)", async () => {
  const ours = await recordedArchiveEvents()
  const theirs = clientView('client_full').filter((e) => e.cursor <= SEALED_TIP)
  assert.equal(theirs.length, 2888)
  assertSameView(ours, theirs)
  assert.ok(ours.every((e) => 'live' in e && e.live === false))
  // kind 7 rows are creates; markers carry the relay's seq and time beside Jetstream's
  const sync = ours.find((e) => e.kind === 'sync')!
  assert.ok(sync.kind === 'sync' && sync.relay!.seq !== sync.seq && sync.relay!.time !== sync.time)
})

test("live: every frame decodes to the Go client's live view, plain and dict-zstd alike (3,801 events past the seam)", () => {
  const theirs = clientView('client_live')
  const plain = liveEvents('cutover_plain')
  const zstd = liveEvents('cutover_zstd', zstdDictionary())
  assert.deepEqual(zstd, plain)
  // the seam repeats the cursor's event (inclusive); the Go client drops it by seq
  assert.equal(plain[0]!.kind === 'operation' && plain[0]!.seq, SEALED_TIP)
  assertSameView(plain.slice(1), theirs)
  assert.ok(plain.every((e) => 'live' in e && e.live === true))
})

test("the full replay: archive then live past the seam is the Go client's full view (6,689 events)", async () => {
  const ours = [
    ...(await recordedArchiveEvents()),
    ...liveEvents('cutover_plain').filter((e) => 'seq' in e && e.seq! > SEALED_TIP),
  ]
  assertSameView(ours, clientView('client_full'))
})

test('time: microseconds as Jetstream writes them', () => {
  assert.equal(microsToTime(1796627415649607), '2026-12-07T07:10:15.649607Z')
  assert.equal(microsToTime(1796627415000001), '2026-12-07T07:10:15.000001Z')
})

test('$bytes in a record: padded and unpadded read alike, written unpadded', () => {
  const frame = (bytes: string) =>
    `{"$type":"message","payload":{"$type":"network.bsky.jetstream.subscribeEvents#commit","cid":"bafyreibwyt5q3ielgtv3y3k3xbswbkftdgls5g4756b7po24xhthf66dra","collection":"app.bsky.feed.post","did":"did:plc:vdzpvg75yw2wighhvnaqspd2","operation":"create","record":{"$type":"x.y.z","b":{"$bytes":"${bytes}"},"l":[{"$bytes":"${bytes}"}]},"rev":"3ke6kg3wkzd22","rkey":"22axqldj6jkdy","seq":2890,"time":"2026-12-07T07:12:03.228388Z"}}`
  const record = (bytes: string) => {
    const [event] = decodeLiveMessage(frame(bytes), () => 'now').events
    return JSON.stringify(event?.kind === 'operation' ? event.record : undefined)
  }
  const want = '{"$type":"x.y.z","b":{"$bytes":"AQIDBA"},"l":[{"$bytes":"AQIDBA"}]}'
  assert.equal(record('AQIDBA=='), want)
  assert.equal(record('AQIDBA'), want)
})

test('error frames, #info and what cannot be used', () => {
  assert.deepEqual(
    decodeLiveMessage('{"$type":"error","error":"ConsumerTooSlow","message":"slow"}', () => 't').error,
    {
      name: 'ConsumerTooSlow',
      message: 'slow',
    },
  )
  const [info] = liveMessages('timestamp_cursor_clamped')
  const decoded = decodeLiveMessage(info!.data.toString(), () => 'now')
  assert.deepEqual(decoded.events, [
    {
      kind: 'info',
      name: 'OutdatedCursor',
      message: 'requested timestamp cursor below retention floor; starting at seq 5835',
      time: 'now',
    },
  ])
  assert.equal(decodeLiveMessage('{nope', () => 't').drops[0]?.reason, 'malformed_frame')
  const unknown = decodeLiveMessage(
    '{"$type":"message","payload":{"$type":"network.bsky.jetstream.subscribeEvents#future","seq":7}}',
    () => 't',
  )
  assert.equal(unknown.seq, 7)
  assert.equal(unknown.drops[0]?.reason, 'unknown_kind')
  const badDid = decodeLiveMessage(
    '{"$type":"message","payload":{"$type":"network.bsky.jetstream.subscribeEvents#identity","seq":8,"did":"nope","time":"t","identity":{}}}',
    () => 't',
  )
  assert.equal(badDid.seq, 8)
  assert.equal(badDid.drops[0]?.reason, 'invalid_event')
})
