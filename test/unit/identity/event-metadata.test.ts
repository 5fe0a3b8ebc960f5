import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toStandardEvent } from '../../../src/encode/standard-event.ts'
import {
  accountAgeSeconds,
  buildEventMetadata,
  eventMetadataJson,
} from '../../../src/identity/event-metadata.ts'

test('accountAge is whole seconds from didCreatedAt to the event time, -1 when unknown', () => {
  assert.equal(accountAgeSeconds('2024-01-01T00:00:00.000Z', '2024-01-01T01:00:00.999Z'), 3600)
  assert.equal(accountAgeSeconds(undefined, '2024-01-01T01:00:00Z'), -1)
  assert.equal(accountAgeSeconds('nonsense', '2024-01-01T01:00:00Z'), -1)
  assert.equal(accountAgeSeconds('2024-01-01T00:00:00Z', 'nonsense'), -1)
  // an event stamped before the DID existed (clock skew) is age 0, not negative
  assert.equal(accountAgeSeconds('2024-01-01T00:00:10Z', '2024-01-01T00:00:00Z'), 0)
})

test('eventMetadata has the Go original’s keys; profile null and accountAge -1 when unknown', () => {
  const didDocument = { '@context': [], id: 'did:plc:abc' } as never
  const m = buildEventMetadata(
    {
      didDocument,
      pdsEndpoint: 'https://pds.example.com',
      pdsHost: 'pds.example.com',
      handle: 'a.example.com',
    },
    undefined,
    undefined,
    '2024-01-01T00:00:00Z',
  )
  const json = JSON.parse(
    JSON.stringify(
      toStandardEvent(
        {
          kind: 'identity',
          did: 'did:plc:abc',
          seq: 1,
          time: '2024-01-01T00:00:00Z',
          handle: 'a.example.com',
        },
        m,
      ),
    ),
  )
  assert.deepEqual(json.eventMetadata, {
    didDocument: { '@context': [], id: 'did:plc:abc' },
    pdsHost: 'https://pds.example.com',
    handle: 'a.example.com',
    accountAge: -1,
    profile: null,
  })
  assert.deepEqual(Object.keys(json), ['did', 'timestamp', 'seq', 'eventMetadata', 'identity'])
})

test('eventMetadataJson is JSON.stringify(buildEventMetadata(…)) for every combination of parts', () => {
  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1'],
    id: 'did:plc:abc',
    alsoKnownAs: ['at://a.example.com'],
  } as never
  const identities = [
    {
      didDocument,
      pdsEndpoint: 'https://pds.example.com',
      pdsHost: 'pds.example.com',
      handle: 'a.example.com',
    },
    { didDocument },
  ]
  const creations = [undefined, { createdAt: '2024-01-01T00:00:00.000Z' }, { createdAt: 'garbage' }]
  const profiles = [
    undefined,
    {
      json: JSON.stringify({
        did: 'did:plc:abc',
        handle: 'a.test',
        displayName: 'A "quoted" name',
        followersCount: 3,
      }),
    },
    { json: '{"did":"did:plc:abc","handle":"a.test","labels":[],"associated":{"lists":0}}' },
  ]
  for (const identity of identities)
    for (const creation of creations)
      for (const profile of profiles)
        for (const time of ['2024-03-01T12:00:00.5Z', 'not a time']) {
          // twice: the second call reads the memoized parts
          for (let i = 0; i < 2; i++) {
            for (const withDocument of [true, false]) {
              assert.equal(
                eventMetadataJson(identity, creation, profile, time, withDocument).json,
                JSON.stringify(buildEventMetadata(identity, creation, profile, time, withDocument)),
              )
            }
          }
        }
})
