// Records prepared on the worker thread: the JSON JSON.stringify writes for @atcute/cbor's
// decoding, the CID as a string, createdAt; and what is not a record, or not its CID's, says so.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesWrapper, CidLinkWrapper, decode, encode } from '@atcute/cbor'
import { CODEC_DCBOR, create as createCid } from '@atcute/cid'
import {
  packRecords,
  preparedRecord,
  prepareRecords,
  RECORD_STATUS,
} from '../../../src/backfill/record-prep.ts'
import { prepareOnWorker } from '../../../src/backfill/record-preparer.ts'

async function block(value: unknown) {
  const bytes = encode(value)
  return { bytes, cid: (await createCid(CODEC_DCBOR, bytes)).bytes }
}

test('records, non-maps and non-CBOR, on the worker and in-thread alike', async () => {
  const link = (await block({ a: 1 })).cid
  const record = {
    $type: 'app.bsky.feed.post',
    text: 'héllo "quoted" \u2028',
    createdAt: '2026-12-07T10:00:00.000Z',
    embed: { ref: new CidLinkWrapper(link), data: new BytesWrapper(new Uint8Array([1, 2, 3, 250])) },
  }
  const blocks = [
    await block(record),
    await block({ $type: 'app.bsky.graph.follow', createdAt: 17 }),
    await block('a string'),
    {
      cid: (await createCid(CODEC_DCBOR, new Uint8Array([0xff, 0x00]))).bytes,
      bytes: new Uint8Array([0xff, 0x00]),
    },
    { cid: link, bytes: encode({ a: 2 }) },
  ]
  const direct = prepareRecords(packRecords(blocks))
  const viaWorker = await prepareOnWorker(packRecords(blocks))
  for (const answer of [{ bytes: Buffer.from(direct.bytes), ends: direct.ends }, viaWorker]) {
    const [post, follow, text, garbage, forged] = blocks.map((_, i) => preparedRecord(answer, i))
    assert.equal(post!.status, RECORD_STATUS.ok)
    assert.equal(post!.record.json, JSON.stringify(decode(blocks[0]!.bytes)))
    assert.equal(post!.cid, new CidLinkWrapper(blocks[0]!.cid).$link)
    assert.equal(post!.createdAt, record.createdAt)
    assert.equal(follow!.status, RECORD_STATUS.ok)
    assert.equal(follow!.createdAt, undefined)
    assert.equal(text!.status, RECORD_STATUS.notMap)
    assert.equal(garbage!.status, RECORD_STATUS.notCbor)
    assert.equal(forged!.status, RECORD_STATUS.cidMismatch)
  }
})
