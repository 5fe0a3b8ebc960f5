// The labels position in the cursor store: one seq per labeler, refused when not that.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cursorRecordJson, parseCursorRecord } from '../../../../src/cursor/cursor-store.ts'
import { labelsCursorCodec } from '../../../../src/sources/labels/labels-cursor.ts'

test('round trip through the stored record; other sources’ cursors and bad seqs refused', () => {
  const position = { 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa': 1873, 'did:web:labeler.example.com': 12 }
  const json = cursorRecordJson(labelsCursorCodec, { sourceId: 'labels', upstream: 'x' }, position)
  assert.deepEqual(JSON.parse(json).labelers, position)
  assert.deepEqual(parseCursorRecord(labelsCursorCodec, json, 'test').position, position)
  assert.equal(labelsCursorCodec.toNumber(position), 1885)
  assert.throws(() => labelsCursorCodec.fromFields({ seq: 5 }, 'here'), /no labelers' seqs.*where=here/)
  assert.throws(
    () => labelsCursorCodec.fromFields({ labelers: { 'did:plc:a': -1 } }, 'here'),
    /invalid labeler seq/,
  )
  assert.throws(() => labelsCursorCodec.fromFields({ labelers: { nope: 1 } }, 'here'), /invalid labeler seq/)
})
