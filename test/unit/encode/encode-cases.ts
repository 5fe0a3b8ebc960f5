// One event of each kind and shape, with the standard JSON each must encode to (exact strings:
// the Go original's README shapes and atkafka/types.go are a public contract, key order
// included: `eventMetadata` is null when there is none, a delete's `record` is null).
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'

export const did = 'did:plc:alice'
export const time = '2026-07-04T14:38:08.999Z'
const uri = (c: string, k: string) => `at://${did}/${c}/${k}`

export interface EncodeCase {
  readonly name: string
  readonly event: AtprotoEvent
  readonly metadata?: unknown
  readonly json: string
  readonly actionName: string
  /** key order at the top level and inside the kind's object */
  readonly keys: readonly string[]
  readonly innerKeys: readonly string[]
}

const post = 'app.bsky.feed.post'

export const cases: readonly EncodeCase[] = [
  {
    name: 'relay create',
    event: {
      kind: 'operation',
      did,
      seq: 7,
      rev: '3lrev1',
      time,
      action: 'create',
      collection: post,
      rkey: 'k1',
      cid: 'bafyrec',
      record: { $type: post, text: 'hi' },
    },
    json: `{"did":"${did}","timestamp":"${time}","seq":7,"eventMetadata":null,"operation":{"action":"create","collection":"${post}","rkey":"k1","uri":"${uri(post, 'k1')}","cid":"bafyrec","path":"${post}/k1","rev":"3lrev1","record":{"$type":"${post}","text":"hi"}}}`,
    actionName: 'operation#create',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'operation'],
    innerKeys: ['action', 'collection', 'rkey', 'uri', 'cid', 'path', 'rev', 'record'],
  },
  {
    name: 'relay update with metadata',
    event: {
      kind: 'operation',
      did,
      seq: 8,
      rev: '3lrev2',
      time,
      action: 'update',
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
      cid: 'bafyrec2',
      record: {},
    },
    metadata: { handle: 'alice.test', accountAge: 12 },
    json: `{"did":"${did}","timestamp":"${time}","seq":8,"eventMetadata":{"handle":"alice.test","accountAge":12},"operation":{"action":"update","collection":"app.bsky.actor.profile","rkey":"self","uri":"${uri('app.bsky.actor.profile', 'self')}","cid":"bafyrec2","path":"app.bsky.actor.profile/self","rev":"3lrev2","record":{}}}`,
    actionName: 'operation#update',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'operation'],
    innerKeys: ['action', 'collection', 'rkey', 'uri', 'cid', 'path', 'rev', 'record'],
  },
  {
    name: 'relay delete: cid "", record null',
    event: {
      kind: 'operation',
      did,
      seq: 9,
      rev: '3lrev3',
      time,
      action: 'delete',
      collection: post,
      rkey: 'k1',
    },
    json: `{"did":"${did}","timestamp":"${time}","seq":9,"eventMetadata":null,"operation":{"action":"delete","collection":"${post}","rkey":"k1","uri":"${uri(post, 'k1')}","cid":"","path":"${post}/k1","rev":"3lrev3","record":null}}`,
    actionName: 'operation#delete',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'operation'],
    innerKeys: ['action', 'collection', 'rkey', 'uri', 'cid', 'path', 'rev', 'record'],
  },
  {
    name: 'Tap create: no seq, live',
    event: {
      kind: 'operation',
      did,
      rev: '3lrev4',
      time,
      action: 'create',
      collection: 'app.bsky.graph.follow',
      rkey: 'k2',
      cid: 'bafyrec3',
      record: { subject: 'did:plc:bob' },
      live: false,
    },
    json: `{"did":"${did}","timestamp":"${time}","eventMetadata":null,"operation":{"action":"create","collection":"app.bsky.graph.follow","rkey":"k2","uri":"${uri('app.bsky.graph.follow', 'k2')}","cid":"bafyrec3","path":"app.bsky.graph.follow/k2","rev":"3lrev4","live":false,"record":{"subject":"did:plc:bob"}}}`,
    actionName: 'operation#create',
    keys: ['did', 'timestamp', 'eventMetadata', 'operation'],
    innerKeys: ['action', 'collection', 'rkey', 'uri', 'cid', 'path', 'rev', 'live', 'record'],
  },
  {
    name: 'Tap delete: live, record null',
    event: {
      kind: 'operation',
      did,
      rev: '3lrev5',
      time,
      action: 'delete',
      collection: 'app.bsky.graph.follow',
      rkey: 'k2',
      live: true,
    },
    json: `{"did":"${did}","timestamp":"${time}","eventMetadata":null,"operation":{"action":"delete","collection":"app.bsky.graph.follow","rkey":"k2","uri":"${uri('app.bsky.graph.follow', 'k2')}","cid":"","path":"app.bsky.graph.follow/k2","rev":"3lrev5","live":true,"record":null}}`,
    actionName: 'operation#delete',
    keys: ['did', 'timestamp', 'eventMetadata', 'operation'],
    innerKeys: ['action', 'collection', 'rkey', 'uri', 'cid', 'path', 'rev', 'live', 'record'],
  },
  {
    name: 'account with status',
    event: { kind: 'account', did, seq: 10, time, active: false, status: 'deactivated' },
    json: `{"did":"${did}","timestamp":"${time}","seq":10,"eventMetadata":null,"account":{"active":false,"seq":10,"status":"deactivated"}}`,
    actionName: 'account',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'account'],
    innerKeys: ['active', 'seq', 'status'],
  },
  {
    name: 'account without status, with metadata',
    event: { kind: 'account', did, seq: 11, time, active: true },
    metadata: { pdsHost: 'pds.test' },
    json: `{"did":"${did}","timestamp":"${time}","seq":11,"eventMetadata":{"pdsHost":"pds.test"},"account":{"active":true,"seq":11}}`,
    actionName: 'account',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'account'],
    innerKeys: ['active', 'seq'],
  },
  {
    name: 'relay identity without handle: handle ""',
    event: { kind: 'identity', did, seq: 12, time },
    json: `{"did":"${did}","timestamp":"${time}","seq":12,"eventMetadata":null,"identity":{"seq":12,"handle":""}}`,
    actionName: 'identity',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'identity'],
    innerKeys: ['seq', 'handle'],
  },
  {
    name: 'relay identity with handle',
    event: { kind: 'identity', did, seq: 13, time, handle: 'alice.test' },
    json: `{"did":"${did}","timestamp":"${time}","seq":13,"eventMetadata":null,"identity":{"seq":13,"handle":"alice.test"}}`,
    actionName: 'identity',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'identity'],
    innerKeys: ['seq', 'handle'],
  },
  {
    name: 'Tap identity: no seq, isActive and status',
    event: { kind: 'identity', did, time, handle: 'alice.test', isActive: false, status: 'takendown' },
    json: `{"did":"${did}","timestamp":"${time}","eventMetadata":null,"identity":{"handle":"alice.test","isActive":false,"status":"takendown"}}`,
    actionName: 'identity',
    keys: ['did', 'timestamp', 'eventMetadata', 'identity'],
    innerKeys: ['handle', 'isActive', 'status'],
  },
  {
    name: 'sync',
    event: { kind: 'sync', did, seq: 14, rev: '3lrev6', time },
    json: `{"did":"${did}","timestamp":"${time}","seq":14,"eventMetadata":null,"sync":{"seq":14,"rev":"3lrev6"}}`,
    actionName: 'sync',
    keys: ['did', 'timestamp', 'seq', 'eventMetadata', 'sync'],
    innerKeys: ['seq', 'rev'],
  },
  {
    name: 'info without message: empty did',
    event: { kind: 'info', name: 'OutdatedCursor', time },
    json: `{"did":"","timestamp":"${time}","eventMetadata":null,"info":{"name":"OutdatedCursor"}}`,
    actionName: 'info',
    keys: ['did', 'timestamp', 'eventMetadata', 'info'],
    innerKeys: ['name'],
  },
  {
    name: 'info with message; metadata is not attached (no DID)',
    event: { kind: 'info', name: 'OutdatedCursor', message: 'cursor too old', time },
    metadata: { handle: 'x' },
    json: `{"did":"","timestamp":"${time}","eventMetadata":null,"info":{"name":"OutdatedCursor","message":"cursor too old"}}`,
    actionName: 'info',
    keys: ['did', 'timestamp', 'eventMetadata', 'info'],
    innerKeys: ['name', 'message'],
  },
]

/** the kind's object inside a standard event */
export function inner(parsed: Record<string, unknown>, event: AtprotoEvent): Record<string, unknown> {
  return parsed[event.kind] as Record<string, unknown>
}
