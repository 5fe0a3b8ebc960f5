import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { recordCid } from '../../../../src/sources/jetstream-v2/archive-event.ts'
import {
  blockRows,
  parseSegment,
  segmentBlockRows,
} from '../../../../src/sources/jetstream-v2/read-segment.ts'
import { segmentChecksum } from '../../../../src/sources/jetstream-v2/segment-checksum.ts'
import { SegmentFormatError } from '../../../../src/sources/jetstream-v2/segment-file.ts'
import {
  archiveExchanges,
  exchangeBody,
  recordedSegments,
  referenceRows,
} from '../../../helpers/jetstream-v2-fixtures.ts'

test('the five recorded segments decode to exactly the rows the upstream Go segment package reads', () => {
  const reference = referenceRows()
  const ours: Record<string, unknown>[] = []
  for (const [name, bytes] of recordedSegments()) {
    const segment = parseSegment(bytes)
    assert.equal(segment.header.version, 1)
    for (let b = 0; b < segment.blocks.length; b++) {
      for (const row of segmentBlockRows(bytes, segment, b)) {
        ours.push({
          segment: name,
          block: b,
          seq: row.seq,
          witnessedAt: row.witnessedAt,
          indexedAt: row.indexedAt,
          kind: row.kind,
          did: row.did,
          collection: row.collection,
          rkey: row.rkey,
          rev: row.rev,
          payloadLen: row.payload.length,
          payloadSha256:
            row.payload.length === 0 ? '' : createHash('sha256').update(row.payload).digest('hex'),
          payloadCid: row.payload.length === 0 ? undefined : recordCid(row.payload),
        })
      }
    }
  }
  assert.equal(ours.length, 2888)
  assert.equal(reference.length, 2888)
  for (let i = 0; i < reference.length; i++) {
    const { kindName: _name, payloadCid, ...want } = reference[i] as unknown as Record<string, unknown>
    const { payloadCid: ourCid, ...all } = ours[i] as Record<string, unknown>
    // the reference omits empty strings (Go's omitempty): markers have no collection, rkey or rev
    const got = Object.fromEntries(Object.entries(all).filter(([k, v]) => v !== '' || k in want))
    assert.deepEqual(got, want, `row ${i}`)
    if (payloadCid !== undefined && payloadCid !== '') assert.equal(ourCid, payloadCid, `row ${i} cid`)
  }
  // what trips a client: kind 7 rows, and seq gaps left by compaction
  assert.equal(ours.filter((r) => r.kind === 7).length, 23)
  const seqs = ours.map((r) => r.seq as number)
  assert.ok(!seqs.includes(1607) && !seqs.includes(1608) && seqs.includes(1606) && seqs.includes(1609))
})

test("each segment's checksum is the plan's, the ETag's and the header's; a changed byte is caught", async () => {
  for (const e of archiveExchanges().filter((x) => x.label.startsWith('full_getSegment_'))) {
    const bytes = exchangeBody(e)
    const segment = parseSegment(bytes)
    assert.equal(await segmentChecksum(bytes, segment.header), segment.header.checksum)
    assert.equal(e.responseHeaders.ETag, `"${segment.header.checksum}"`)
    const footer = Buffer.from(bytes)
    footer[footer.length - 1]! ^= 1
    assert.notEqual(await segmentChecksum(footer, parseSegment(footer).header), segment.header.checksum)
    // a flipped bit in a block is caught by the block frame's own content checksum
    const block = Buffer.from(bytes)
    const entry = segment.blocks[0]!
    block[entry.offset + 8 + Math.floor(entry.compressedSize / 2)]! ^= 1
    assert.throws(() => segmentBlockRows(block, segment, 0), SegmentFormatError)
  }
})

test('getBlock bodies (zstd frames without the 8-byte length prefix) decode to the same rows as inside the segment', () => {
  const segments = recordedSegments()
  const blocks = archiveExchanges().filter((e) => e.path.endsWith('getBlock') && e.status === 200)
  assert.equal(blocks.length, 2)
  for (const e of blocks) {
    const q = new URLSearchParams(e.query)
    const bytes = segments.get(q.get('segment') ?? '')!
    const segment = parseSegment(bytes)
    const index = Number(q.get('blockIndex'))
    const body = exchangeBody(e)
    assert.deepEqual([...body.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd])
    assert.equal(e.responseHeaders.ETag, `"${segment.header.checksum}:${index}"`)
    assert.deepEqual(blockRows(body, segment.blocks[index], index), segmentBlockRows(bytes, segment, index))
  }
})

test('what is not a sealed segment is refused by name', () => {
  const bytes = recordedSegments().get('seg_0000000000.jss')!
  assert.throws(() => parseSegment(bytes.subarray(0, 100)), /shorter than the 256-byte header/)
  const active = Buffer.from(bytes)
  active.fill(0, 4, 12)
  assert.throws(() => parseSegment(active), /active/)
  const magic = Buffer.from(bytes)
  magic[3] = 0x31
  assert.throws(() => parseSegment(magic), /magic/)
  const { header } = parseSegment(bytes)
  assert.throws(() => parseSegment(bytes.subarray(0, header.blockIndexOffset + 10)), /do not fit/)
})

test("the bench's re-sequenced copies are sealed segments with the same rows, seqs moved", async () => {
  const { resequencedArchive } = await import('../../../helpers/jetstream-v2-resequence.ts')
  const { segments, lastSeq, rows } = await resequencedArchive(2)
  assert.equal(lastSeq, 5780)
  assert.equal(rows, 2888 * 2)
  const names = [...segments.keys()]
  const original = segments.get(names[1]!)!
  const copy = segments.get(names[6]!)!
  const a = parseSegment(original)
  const b = parseSegment(copy)
  assert.equal(await segmentChecksum(copy, b.header), b.header.checksum)
  assert.equal(b.header.minSeq, a.header.minSeq + 2890)
  for (let i = 0; i < a.blocks.length; i++) {
    const want = segmentBlockRows(original, a, i).map((r) => ({ ...r, seq: r.seq + 2890 }))
    assert.deepEqual(segmentBlockRows(copy, b, i), want)
  }
})
