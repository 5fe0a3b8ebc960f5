import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planStateCodec } from '../../../src/backfill/plan-state.ts'
import { decodeWorkItem, encodeWorkItem } from '../../../src/backfill/work-item.ts'

describe('work item codec', () => {
  test('round trip, with and without a listed rev; a trailing slash of the PDS is dropped', () => {
    const item = {
      did: 'did:plc:53iucmf5ldftgqyf2ac7hmhd',
      pds: 'https://pds.example.com',
      rev: '3migo7fijwi2k',
    }
    assert.deepEqual(decodeWorkItem(encodeWorkItem(item)), item)
    assert.deepEqual(
      decodeWorkItem(Buffer.from('{"did":"did:web:example.com","pds":"http://localhost:2583/"}')),
      {
        did: 'did:web:example.com',
        pds: 'http://localhost:2583',
      },
    )
  })

  test('anything else is a message naming the problem', () => {
    for (const [value, says] of [
      [undefined, /empty/],
      ['not json', /not JSON/],
      ['{"did":"alice","pds":"https://x.example"}', /not a DID/],
      ['{"did":"did:plc:53iucmf5ldftgqyf2ac7hmhd","pds":"ftp://x.example"}', /http/],
      ['{"did":"did:plc:53iucmf5ldftgqyf2ac7hmhd","pds":"https://x.example/path"}', /http/],
      [
        `{"did":"did:plc:53iucmf5ldftgqyf2ac7hmhd","pds":"https://x.example","pad":"${'x'.repeat(5000)}"}`,
        /bytes/,
      ],
    ] as const) {
      const out = decodeWorkItem(value === undefined ? undefined : Buffer.from(value))
      assert.equal(typeof out, 'string', String(value))
      assert.match(out as string, says)
    }
  })
})

describe('plan state codec', () => {
  test('round trip; a record that is not a plan state is refused', () => {
    const state = { step: 2, cursor: 'abc', planned: 10, skipped: 1, complete: false, liveSeq: 42 }
    assert.deepEqual(planStateCodec.fromFields(planStateCodec.toFields(state), 'test'), state)
    assert.throws(() =>
      planStateCodec.fromFields({ step: -1, planned: 0, skipped: 0, complete: false }, 'test'),
    )
    assert.throws(() => planStateCodec.fromFields({ step: 0, planned: 0, skipped: 0 }, 'test'))
  })
})
