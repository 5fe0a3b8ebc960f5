// The archive's records prepared on the inflate worker (CID and JSON written there) make the
// same Kafka values, byte for byte, as the records decoded on the main thread: for every row of
// the recorded segments, in every output format, with and without spliced-in metadata.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeEvent } from '../../../../src/encode/encode-event.ts'
import { createEventActionIds } from '../../../../src/encode/event-action-id.ts'
import { RawJson } from '../../../../src/events/raw-json.ts'
import { rowToEvent } from '../../../../src/sources/jetstream-v2/archive-event.ts'
import { createRowFilter } from '../../../../src/sources/jetstream-v2/jetstream-filters.ts'
import {
  preparedRecord,
  prepareRecords,
  receivedRecords,
} from '../../../../src/sources/jetstream-v2/prepared-records.ts'
import { inflatedBlockRows } from '../../../../src/sources/jetstream-v2/read-segment.ts'
import { inflateBlock } from '../../../../src/sources/jetstream-v2/segment-block.ts'
import {
  blockFrame,
  readBlockIndex,
  readSegmentHeader,
} from '../../../../src/sources/jetstream-v2/segment-file.ts'
import { recordedSegments } from '../../../helpers/jetstream-v2-fixtures.ts'

// a metadata value with non-ASCII text, as enrichment splices it in
const metadata = new RawJson(['{"handle":"bé.test","didDocument":', Buffer.from('{"id":"x"}'), '}'])

test('prepared records encode byte for byte as decoded ones, in every format', () => {
  let prepared = 0
  let rows = 0
  for (const bytes of recordedSegments().values()) {
    const header = readSegmentHeader(bytes)
    for (const [b, entry] of readBlockIndex(bytes, header).entries()) {
      const block = inflateBlock(blockFrame(bytes, entry), entry.uncompressedSize)
      const records = receivedRecords(prepareRecords(block))
      const blockRows = inflatedBlockRows(block, entry, b)
      assert.equal(records.ends.length, blockRows.length)
      for (const [i, row] of blockRows.entries()) {
        rows++
        const ready = preparedRecord(records, i)
        const plain = rowToEvent(row)
        if (plain instanceof Error) throw plain
        if (plain.kind === 'operation' && plain.action !== 'delete') assert.ok(ready, `seq ${row.seq}`)
        else assert.equal(ready, undefined, `seq ${row.seq}`)
        if (!ready) continue
        prepared++
        const event = rowToEvent(row, ready)
        if (event instanceof Error) throw event
        assert.ok(event.kind === 'operation' && event.record instanceof RawJson)
        for (const format of ['standard', 'osprey', 'jetstream'] as const) {
          for (const meta of format === 'jetstream' ? [undefined] : [undefined, metadata]) {
            const options = {
              format,
              snowflake: createEventActionIds(() => 1_800_000_000_000),
              metadata: meta,
              clock: () => 1,
              now: () => new Date(0),
            }
            const want = encodeEvent(plain, options)
            const got = encodeEvent(event, options)
            assert.equal(got.key, want.key)
            assert.equal(got.value.toString(), want.value.toString(), `seq ${row.seq} ${format}`)
            assert.ok(got.value.equals(want.value))
          }
        }
      }
    }
  }
  assert.equal(rows, 2888)
  assert.ok(prepared > 2000, `${prepared} prepared`)
})

test("rows the source's filter drops are not prepared", () => {
  const keep = createRowFilter({ collections: ['app.bsky.feed.like'] })
  let kept = 0
  for (const bytes of recordedSegments().values()) {
    const header = readSegmentHeader(bytes)
    for (const [b, entry] of readBlockIndex(bytes, header).entries()) {
      const block = inflateBlock(blockFrame(bytes, entry), entry.uncompressedSize)
      const records = receivedRecords(prepareRecords(block, keep))
      for (const [i, row] of inflatedBlockRows(block, entry, b).entries()) {
        const ready = preparedRecord(records, i)
        if (row.collection !== 'app.bsky.feed.like' || row.kind === 3) assert.equal(ready, undefined)
        else {
          assert.ok(ready)
          kept++
        }
      }
    }
  }
  assert.ok(kept > 100, `${kept} likes prepared`)
})

test('a record that is not a DAG-CBOR map is left to the main thread (which counts the drop)', () => {
  // one block of two create rows: a map, and a CBOR text string
  const rows = [
    { payload: Buffer.from([0xa1, 0x61, 0x61, 0x01]) }, // {"a":1}
    { payload: Buffer.from([0x61, 0x61]) }, // "a"
  ]
  const n = rows.length
  const fixed = Buffer.alloc(4 + n * 34)
  fixed.writeUInt32LE(n, 0)
  const col = (i: number, offset: number) => 4 + offset * n + i
  const strings: Buffer[] = []
  for (const [i, r] of rows.entries()) {
    fixed.writeUInt32LE(i + 1, 4 + i * 8) // seq
    fixed[col(i, 24)] = 1 // kind: create
    fixed[col(i, 25)] = 'app.bsky.feed.post'.length
    fixed.writeUInt16LE('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'.length, 4 + 26 * n + i * 2)
    fixed[4 + 28 * n + i] = 3 // rkey length
    fixed[4 + 29 * n + i] = 3 // rev length
    fixed.writeUInt32LE(r.payload.length, 4 + 30 * n + i * 4)
  }
  for (let i = 0; i < n; i++) strings.push(Buffer.from('app.bsky.feed.post'))
  for (let i = 0; i < n; i++) strings.push(Buffer.from('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'))
  for (let i = 0; i < n; i++) strings.push(Buffer.from('abc'))
  for (let i = 0; i < n; i++) strings.push(Buffer.from('rev'))
  for (const r of rows) strings.push(r.payload)
  const block = Buffer.concat([fixed, ...strings])
  const records = receivedRecords(prepareRecords(block))
  const first = preparedRecord(records, 0)
  assert.equal(first?.record.json, '{"a":1}')
  assert.equal(preparedRecord(records, 1), undefined)
  const [, second] = inflatedBlockRows(block, undefined, 0)
  const dropped = rowToEvent(second!)
  assert.ok(dropped instanceof Error && /not a map/.test(dropped.message))
})
