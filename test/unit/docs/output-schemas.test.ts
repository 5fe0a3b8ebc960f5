// docs/schemas/*.schema.json describe what the encoders write: every kind and shape the encoder
// tests pin down validates, in both formats, with and without eventMetadata; what the Go
// original's consumers would break on (a renamed field, a delete without record: null, another
// encoding) does not. The broker's output is validated in test/integration/relay-corpus and
// relay-pds.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { createSnowflake } from '../../../src/encode/snowflake.ts'
import { eventMetadataJson } from '../../../src/identity/event-metadata.ts'
import { assertValid, schemaErrors } from '../../helpers/output-schemas.ts'
import { cases } from '../encode/encode-cases.ts'

const snowflake = createSnowflake({ workerId: 3 })
const encoded = (format: 'standard' | 'osprey', metadata?: unknown) =>
  cases.map(
    (c) => JSON.parse(encodeEvent(c.event, { format, snowflake, metadata }).value.toString()) as unknown,
  )

const identity = {
  didDocument: {
    '@context': ['https://www.w3.org/ns/did/v1'],
    id: 'did:plc:alice',
    alsoKnownAs: ['at://alice.test'],
    verificationMethod: [],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.test' }],
  } as never,
  pdsEndpoint: 'https://pds.test',
  pdsHost: 'pds.test',
  handle: 'alice.test',
}
const profile = {
  json: JSON.stringify({ did: 'did:plc:alice', handle: 'alice.test', followsCount: 3, labels: [] }),
}
const metadata = eventMetadataJson(
  identity,
  { createdAt: '2024-01-01T00:00:00.000Z' },
  profile,
  '2026-01-01T00:00:00Z',
)

describe('output schemas', () => {
  test('every kind, standard and Osprey, without eventMetadata', () => {
    assertValid('event', encoded('standard'))
    assertValid('osprey-envelope', encoded('osprey'))
  })

  test('every kind with eventMetadata (info events carry none), standard and Osprey', () => {
    assertValid('enriched-event', encoded('standard', metadata))
    assertValid('enriched-osprey-envelope', encoded('osprey', metadata))
    assertValid('event', encoded('standard', metadata))
  })

  test('an event without metadata is not an enriched one; the schemas can fail', () => {
    const [create] = encoded('standard') as Record<string, unknown>[]
    assert.notDeepEqual(schemaErrors('enriched-event', create), [])
    const op = (create!.operation ?? {}) as Record<string, unknown>
    // a renamed or missing field, an invented one
    const { rkey: _, ...noRkey } = op
    assert.notDeepEqual(schemaErrors('event', { ...create, operation: noRkey }), [])
    assert.notDeepEqual(schemaErrors('event', { ...create, operation: { ...op, collectionName: 'x' } }), [])
    // a delete as atkafka wrote it before (no record key), an Osprey envelope with "json"
    const del = encoded('standard').find(
      (e) => (e as { operation?: { action: string } }).operation?.action === 'delete',
    ) as {
      operation: Record<string, unknown>
    }
    const { record: _r, ...noRecord } = del.operation
    assert.notDeepEqual(schemaErrors('event', { ...del, operation: noRecord }), [])
    const env = encoded('osprey')[0] as { data: Record<string, unknown>; send_time: string }
    assert.notDeepEqual(
      schemaErrors('osprey-envelope', { ...env, data: { ...env.data, encoding: 'json' } }),
      [],
    )
    // an action name that does not match the event it carries
    assert.notDeepEqual(
      schemaErrors('osprey-envelope', { ...env, data: { ...env.data, action_name: 'account' } }),
      [],
    )
    // eventMetadata left out instead of null
    const { eventMetadata: _m, ...noMetadata } = create as Record<string, unknown>
    assert.notDeepEqual(schemaErrors('event', noMetadata), [])
  })
})
