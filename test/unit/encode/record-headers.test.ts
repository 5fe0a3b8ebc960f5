// Record headers: which names each kind of event carries, their values, and that a record from
// the recorded relay frames carries enough to filter and place it without reading the value.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createHeaderBuilder,
  FORMAT_VERSIONS,
  headerStrings,
  recordHeaders,
} from '../../../src/encode/record-headers.ts'
import type { AtprotoEvent, OperationEvent } from '../../../src/events/atproto-event.ts'
import { HEADER } from '../../../src/output/record-header-names.ts'
import { decodeFrame } from '../../../src/sources/relay/decode-frame.ts'
import { readCorpusFrames } from '../../helpers/corpus.ts'
import { cases, did } from './encode-cases.ts'

const entries = (event: AtprotoEvent, format: 'standard' | 'osprey' | 'jetstream' = 'standard') =>
  headerStrings(recordHeaders(event, format))
const asMap = (event: AtprotoEvent, format: 'standard' | 'osprey' | 'jetstream' = 'standard') =>
  new Map(entries(event, format))

describe('recordHeaders', () => {
  test('an operation: kind, did, collection, action, rev, seq, format, in that order', () => {
    const op = cases.find((c) => c.name === 'relay create')!.event
    assert.deepEqual(entries(op), [
      ['kind', 'operation'],
      ['did', did],
      ['collection', 'app.bsky.feed.post'],
      ['action', 'create'],
      ['rev', '3lrev1'],
      ['seq', '7'],
      ['format', 'standard/v1'],
    ])
  })

  test('the op index (relay) and the Tap id come after seq when the event has them', () => {
    const op = cases.find((c) => c.name === 'relay delete: cid "", record null')!.event
    assert.deepEqual(entries({ ...op, opIndex: 2 } as AtprotoEvent, 'jetstream').slice(-3), [
      ['seq', '9'],
      ['op-index', '2'],
      ['format', 'jetstream/v1'],
    ])
    const tap = cases.find((c) => c.name === 'Tap create: no seq, live')!.event
    const headers = asMap({ ...tap, tapId: 1234567 } as AtprotoEvent, 'osprey')
    assert.equal(headers.get(HEADER.tapId), '1234567')
    assert.equal(headers.has(HEADER.seq), false)
    assert.equal(headers.get(HEADER.format), 'osprey/v1')
  })

  test('every kind: kind and format always; did except info; rev on sync; seq when the event has one', () => {
    const want: Record<string, string[]> = {
      'Tap create: no seq, live': ['kind', 'did', 'collection', 'action', 'rev', 'format'],
      'Tap delete: live, record null': ['kind', 'did', 'collection', 'action', 'rev', 'format'],
      'account with status': ['kind', 'did', 'seq', 'format'],
      'relay identity with handle': ['kind', 'did', 'seq', 'format'],
      'Tap identity: no seq, isActive and status': ['kind', 'did', 'format'],
      sync: ['kind', 'did', 'rev', 'seq', 'format'],
      'info with message; metadata is not attached (no DID)': ['kind', 'format'],
    }
    for (const [name, keys] of Object.entries(want)) {
      const c = cases.find((x) => x.name === name)
      assert.ok(c, name)
      const headers = asMap(c.event)
      assert.deepEqual([...headers.keys()], keys, name)
      assert.equal(headers.get('kind'), c.event.kind, name)
      if ('did' in c.event) assert.equal(headers.get('did'), c.event.did, name)
      if ('seq' in c.event && c.event.seq !== undefined) assert.equal(headers.get('seq'), String(c.event.seq))
    }
  })

  test('recurring values are encoded once; past the cache bound, every value is still right', () => {
    const op = cases.find((c) => c.name === 'relay create')!.event as OperationEvent
    const a = recordHeaders(op, 'standard')
    const b = recordHeaders(op, 'standard')
    const value = (h: Map<Buffer, Buffer>, name: string) => [...h].find(([k]) => k.toString() === name)?.[1]
    assert.equal(value(a, 'collection'), value(b, 'collection'))
    assert.notEqual(value(a, 'did'), value(b, 'did'))
    for (let i = 0; i < 5000; i++) {
      const collection = `com.example.c${i}`
      assert.equal(asMap({ ...op, collection }).get('collection'), collection)
    }
    assert.equal(asMap(op).get('collection'), 'app.bsky.feed.post')
  })

  test('a builder for some headers writes only those, in the usual order', () => {
    const op = cases.find((c) => c.name === 'relay create')!.event
    const account = cases.find((c) => c.name === 'account with status')!.event
    const some = createHeaderBuilder('jetstream', ['format', 'collection', 'seq'])
    assert.deepEqual(headerStrings(some(op)), [
      ['collection', 'app.bsky.feed.post'],
      ['seq', '7'],
      ['format', 'jetstream/v1'],
    ])
    assert.deepEqual(headerStrings(some(account)), [
      ['seq', String((account as { seq: number }).seq)],
      ['format', 'jetstream/v1'],
    ])
    assert.deepEqual(headerStrings(createHeaderBuilder('standard', [])(op)), [])
    assert.deepEqual(headerStrings(createHeaderBuilder('standard', 'all')(op)), entries(op))
  })

  test('names are short lowercase tokens; every format has a version', () => {
    for (const name of Object.values(HEADER)) assert.match(name, /^[a-z][a-z-]{1,11}$/)
    assert.deepEqual(Object.keys(FORMAT_VERSIONS).sort(), ['jetstream', 'osprey', 'standard'])
    for (const v of Object.values(FORMAT_VERSIONS)) assert.match(v, /^[a-z]+\/v\d+$/)
  })

  test('the recorded relay frames: every record says what and where it is', () => {
    const events = readCorpusFrames().flatMap((f) => decodeFrame(f, () => 'unused').events)
    assert.equal(events.length, 152)
    for (const e of events) {
      const h = asMap(e)
      assert.equal(h.get('kind'), e.kind)
      assert.ok('seq' in e && e.seq !== undefined)
      assert.equal(h.get('seq'), String(e.seq))
      assert.equal(h.get('did'), 'did' in e ? e.did : undefined)
      if (e.kind === 'operation') {
        assert.equal(h.get('collection'), e.collection)
        assert.equal(h.get('action'), e.action)
        assert.equal(h.get('rev'), e.rev)
        assert.equal(h.get('op-index'), String(e.opIndex))
      }
    }
  })
})
