// readRepo against a real getRepo CAR (test/fixtures/jetstream-repo-car, listed by indigo's goat),
// the same blocks in other orders and chunkings, spilled to disk, and broken on purpose.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { type CarBlock, fromUint8Array, writeCarStream } from '@atcute/car'
import { encode, toBytes } from '@atcute/cbor'
import { create as createCid, toCidLink } from '@atcute/cid'
import { RepoError, type RepoLimits, type RepoRecord, readRepo } from '../../../src/backfill/repo-car.ts'
import { recordEvent } from '../../../src/backfill/repo-events.ts'
import { repoRoot } from '../../helpers/fixture-paths.ts'

const dir = join(repoRoot, 'test', 'fixtures', 'jetstream-repo-car')
const car = new Uint8Array(readFileSync(join(dir, 'repo.car')))
const expected = readFileSync(join(dir, 'car_expected_records.tsv'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split('\t') as [string, string])
  .sort()
const commitText = readFileSync(join(dir, 'car_expected_commit.txt'), 'utf8')
const did = /DID: (\S+)/.exec(commitText)![1]!
const rev = /Revision: (\S+)/.exec(commitText)![1]!
const limits: RepoLimits = { maxCarBytes: 1 << 20, maxBlocks: 1000, memoryBytes: 1 << 20 }

const original = fromUint8Array(car)
const roots = original.roots
const blocks: CarBlock[] = Array.from(original, (e) => ({ cid: e.cid.bytes.slice(), data: e.bytes.slice() }))

function streamOf(bytes: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(at, at + chunk))
      at += chunk
    },
  })
}

async function carOf(list: CarBlock[], rootLinks = roots): Promise<Uint8Array> {
  return Buffer.concat(await Array.fromAsync(writeCarStream(rootLinks, list)))
}

async function readAll(bytes: Uint8Array, opts: { did?: string; limits?: RepoLimits; chunk?: number } = {}) {
  const records: RepoRecord[] = []
  const it = readRepo(streamOf(bytes, opts.chunk), opts.did ?? did, opts.limits ?? limits)
  while (true) {
    const step = await it.next()
    if (step.done) return { records, summary: step.value }
    records.push(step.value)
  }
}

async function failure(bytes: Uint8Array, opts: Parameters<typeof readAll>[1] = {}): Promise<RepoError> {
  try {
    await readAll(bytes, opts)
  } catch (err) {
    assert.ok(err instanceof RepoError, `not a RepoError: ${err}`)
    return err
  }
  assert.fail('the repo was read without an error')
}

const listing = (records: RepoRecord[]) => records.map((r) => [`${r.collection}/${r.rkey}`, r.cid]).sort()

describe('readRepo', () => {
  test('a production CAR: every record goat lists, with its CID and the commit rev', async () => {
    const { records, summary } = await readAll(car)
    assert.equal(expected.length, 23)
    assert.deepEqual(listing(records), expected)
    for (const r of records) {
      assert.equal(r.rev, rev)
      const record = JSON.parse(r.record.json)
      assert.equal(record.$type, r.collection)
      assert.equal(r.createdAt, typeof record.createdAt === 'string' ? record.createdAt : undefined)
    }
    assert.equal(summary.did, did)
    assert.equal(summary.rev, rev)
    assert.equal(summary.records, 23)
    assert.equal(summary.carBytes, car.length)
    assert.equal(summary.unreferenced, 0)
    assert.equal(summary.spilledBytes, 0)
  })

  test('the same blocks in any order and any chunking give the same records', async () => {
    const reversed = await carOf([...blocks].reverse())
    const commitLast = await carOf([...blocks.slice(1), blocks[0]!])
    const sorted = await carOf([...blocks].sort((a, b) => Buffer.compare(a.cid, b.cid)))
    for (const bytes of [reversed, commitLast, sorted]) {
      for (const chunk of [1, 7, 100, 1 << 20]) {
        assert.deepEqual(listing((await readAll(bytes, { chunk })).records), expected)
      }
    }
  })

  test('with no memory budget every waiting block goes through a spill file, which is removed', async () => {
    const spillDir = mkdtempSync(join(tmpdir(), 'atkafka-spill-'))
    const bytes = await carOf([...blocks].reverse()) // records before their nodes and the commit
    const { records, summary } = await readAll(bytes, { limits: { ...limits, memoryBytes: 0, spillDir } })
    assert.deepEqual(listing(records), expected)
    assert.ok(summary.spilledBytes > 0)
    assert.deepEqual(readdirSync(spillDir), [])
  })

  test('a CAR cut anywhere fails as truncated (or, inside the header, as invalid), never as a repo', async () => {
    const seen = new Set<string>()
    for (let cut = 0; cut < car.length; cut += 37) {
      const err = await failure(car.subarray(0, cut))
      assert.ok(
        err.reason === 'truncated' || (err.reason === 'invalid_car' && cut < 60),
        `cut ${cut}: ${err.reason}`,
      )
      seen.add(err.reason)
    }
    assert.ok(seen.has('truncated'))
  })

  test('a record block that does not hash to its CID fails the repo', async () => {
    const bad = blocks.map((b) => ({ ...b, data: b.data.slice() }))
    const record = bad.find((b) => readsAsRecord(b.data))!
    record.data[record.data.length - 1]! ^= 1
    assert.equal((await failure(await carOf(bad))).reason, 'cid_mismatch')
  })

  test("another repo's commit fails as wrong_did", async () => {
    assert.equal((await failure(car, { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })).reason, 'wrong_did')
  })

  test('a node outside the commit tree that names records fails as unreachable', async () => {
    const record = blocks.find((b) => readsAsRecord(b.data))!
    const node = encode({
      e: [
        {
          k: toBytes(new TextEncoder().encode('app.bsky.feed.post/3zzzzzzzzzzzz')),
          p: 0,
          t: null,
          v: toCidLink(await createCid(0x71, record.data)),
        },
      ],
      l: null,
    })
    const extra = { cid: (await createCid(0x71, node)).bytes, data: node }
    assert.equal((await failure(await carOf([...blocks, extra]))).reason, 'unreachable')
  })

  test('a block left out of the middle fails as truncated', async () => {
    for (const i of [1, 5, blocks.length - 1]) {
      const without = blocks.filter((_, j) => j !== i)
      assert.equal((await failure(await carOf(without))).reason, 'truncated', `block ${i}`)
    }
  })

  test('bytes and blocks past the limits fail as too_large', async () => {
    assert.equal(
      (await failure(car, { limits: { ...limits, maxCarBytes: car.length - 1 } })).reason,
      'too_large',
    )
    assert.equal((await failure(car, { limits: { ...limits, maxBlocks: 10 } })).reason, 'too_large')
  })
})

describe('recordEvent', () => {
  test('a backfilled record is a create, not live, with the commit rev and a time not in the future', async () => {
    const { records } = await readAll(car)
    const now = Date.now()
    for (const r of records) {
      const e = recordEvent(did, r, now)
      assert.equal(e.action, 'create')
      assert.equal(e.live, false)
      assert.equal(e.rev, rev)
      assert.equal(e.cid, r.cid)
      assert.ok(Date.parse(e.time) <= now)
      if (r.createdAt !== undefined) assert.equal(Date.parse(e.time), Date.parse(r.createdAt))
    }
  })
})

/** a DAG-CBOR map carrying $type (a record, not a commit or MST node) */
function readsAsRecord(data: Uint8Array): boolean {
  return Buffer.from(data).includes('$type')
}
