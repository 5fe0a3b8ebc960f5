// The 150 recorded live relay frames, decoded and compared with what production Jetstream
// served for the same events (test/fixtures/jetstream-corpus).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AtprotoEvent, OperationEvent } from '../../../../src/events/atproto-event.ts'
import { decodeFrame } from '../../../../src/sources/relay/decode-frame.ts'
import {
  type JetstreamEvent,
  readCorpusFrames,
  readCorpusManifest,
  readExpectedV1,
} from '../../../helpers/corpus.ts'

const frames = readCorpusFrames()
const expected = readExpectedV1() as JetstreamEvent[]
const manifest = readCorpusManifest()
const decoded = frames.map((f) => decodeFrame(f, () => 'unused'))
const events: AtprotoEvent[] = decoded.flatMap((d) => d.events)
const ops = events.filter((e): e is OperationEvent => e.kind === 'operation')

describe('recorded live frames (jetstream corpus)', () => {
  test('every frame decodes without a drop, seqs run from seq_first to seq_last', () => {
    assert.equal(frames.length, manifest.frames)
    assert.deepEqual(
      decoded.flatMap((d) => d.drops),
      [],
    )
    assert.deepEqual(
      decoded.map((d) => d.seq),
      frames.map((_, i) => manifest.seq_first + i),
    )
    assert.equal(decoded.at(-1)?.seq, manifest.seq_last)
    for (const d of decoded) for (const e of d.events) assert.equal('seq' in e && e.seq, d.seq)
  })

  test('event counts match the manifest', () => {
    const count = (pred: (e: AtprotoEvent) => boolean) => events.filter(pred).length
    assert.equal(
      count((e) => e.kind === 'operation' && e.action === 'create'),
      manifest.creates,
    )
    assert.equal(
      count((e) => e.kind === 'operation' && e.action === 'update'),
      manifest.updates,
    )
    assert.equal(
      count((e) => e.kind === 'operation' && e.action === 'delete'),
      manifest.deletes,
    )
    assert.equal(
      count((e) => e.kind === 'identity'),
      manifest.identity,
    )
    assert.equal(
      count((e) => e.kind === 'account'),
      manifest.account,
    )
    assert.equal(events.length, manifest.v1_events)
    assert.deepEqual([...new Set(ops.map((o) => o.did))].sort(), [...manifest.commit_dids].sort())
  })

  test('every op equals its Jetstream commit event (record, cid, rev, operation, collection, rkey)', () => {
    const commits = expected.filter((e) => e.kind === 'commit')
    assert.equal(commits.length, ops.length)
    const unmatched = new Set(ops)
    for (const want of commits) {
      const c = want.commit!
      const got = ops.find(
        (o) =>
          unmatched.has(o) &&
          o.did === want.did &&
          o.collection === c.collection &&
          o.rkey === c.rkey &&
          o.rev === c.rev &&
          o.action === c.operation,
      )
      const name = `${want.did}/${c.collection}/${c.rkey}@${c.rev}`
      assert.ok(got, `no op for ${name}`)
      unmatched.delete(got)
      assert.equal(got.cid, c.cid, `cid of ${name}`)
      if (c.operation === 'delete') {
        assert.equal(got.record, undefined)
        assert.equal(c.record, undefined)
      } else {
        assert.deepEqual(JSON.parse(JSON.stringify(got.record)), c.record, `record of ${name}`)
      }
    }
    assert.equal(unmatched.size, 0)
  })

  test('identity and account events equal Jetstream’s', () => {
    const identity = expected.find((e) => e.kind === 'identity')?.identity
    const account = expected.find((e) => e.kind === 'account')?.account
    assert.ok(identity && account)
    const gotIdentity = events.find((e) => e.kind === 'identity')
    const gotAccount = events.find((e) => e.kind === 'account')
    assert.deepEqual(gotIdentity, { kind: 'identity', ...identity })
    assert.deepEqual(gotAccount, { kind: 'account', ...account })
  })
})
