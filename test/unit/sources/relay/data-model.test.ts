// atproto interop data-model fixtures: DAG-CBOR as @atcute/cbor decodes it must serialize
// (JSON.stringify) to exactly the atproto JSON form, and hash to the fixture's CID.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { decode, encode, toCidLink } from '@atcute/cbor'
import { CODEC_DCBOR, toString as cidToString, fromDigest, fromString } from '@atcute/cid'
import type { OperationEvent } from '../../../../src/events/atproto-event.ts'
import { blockMatchesCid } from '../../../../src/sources/relay/decode-commit.ts'
import { decodeFrame } from '../../../../src/sources/relay/decode-frame.ts'
import { interopDir } from '../../../helpers/fixture-paths.ts'
import { encodeCar, encodeFrame } from '../../../helpers/indigo-scenarios.ts'

interface Fixture {
  json: Record<string, unknown>
  cbor_base64: string
  cid: string
}

const fixtures = JSON.parse(
  readFileSync(join(interopDir, 'data-model', 'data-model-fixtures.json'), 'utf8'),
) as Fixture[]
const now = () => '2026-01-01T00:00:00.000Z'

describe('atproto data-model fixtures', () => {
  test('the fixture file has entries', () => assert.ok(fixtures.length >= 3))

  for (const [i, fx] of fixtures.entries()) {
    const cbor = new Uint8Array(Buffer.from(fx.cbor_base64, 'base64'))

    test(`#${i}: decoded value serializes to the fixture JSON; CID and re-encoding match`, () => {
      const value = decode(cbor)
      assert.deepEqual(JSON.parse(JSON.stringify(value)), fx.json)
      const cid = fromDigest(CODEC_DCBOR, createHash('sha256').update(cbor).digest())
      assert.equal(cidToString(cid), fx.cid)
      assert.ok(blockMatchesCid(cbor, fromString(fx.cid).bytes))
      assert.deepEqual(encode(value), cbor, 'deterministic re-encoding')
    })

    test(`#${i}: as a record in a #commit, decodeFrame gives the fixture JSON and CID`, async () => {
      const cid = fromString(fx.cid)
      const car = await encodeCar([{ cid, data: cbor }])
      const frame = encodeFrame(
        { op: 1, t: '#commit' },
        {
          seq: 7,
          repo: 'did:plc:fixture',
          rev: '3mptbypluud2a',
          time: '2026-01-01T00:00:00.000Z',
          ops: [{ action: 'create', path: 'com.example.fixture/self', cid: toCidLink(cid) }],
          blocks: { $bytes: Buffer.from(car).toString('base64') },
        },
      )
      const decoded = decodeFrame(frame, now)
      assert.deepEqual(decoded.drops, [])
      const [event] = decoded.events as OperationEvent[]
      assert.equal(event?.cid, fx.cid)
      assert.deepEqual(JSON.parse(JSON.stringify(event?.record)), fx.json)
    })
  }
})
