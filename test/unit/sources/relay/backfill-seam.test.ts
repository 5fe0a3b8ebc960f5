// The seam around a relay source, with the backfill given (the Kafka side is in
// test/integration/backfill-seam.test.ts): it reads nothing until the backfill is done, starts
// at the plan's seq (or the stored cursor), drops record operations at or below the copied rev
// (counted), lets everything else through, and lets the table go past the seq noted at the end.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import type { AtprotoEvent } from '../../../../src/events/atproto-event.ts'
import type { Delivery, Source } from '../../../../src/pipeline/types.ts'
import { type Backfill, withBackfillSeam } from '../../../../src/sources/relay/backfill-seam.ts'
import { RevFloor } from '../../../../src/sources/relay/rev-floor.ts'

const op = (seq: number, did: string, rev: string, rkey = `r${seq}`): AtprotoEvent => ({
  kind: 'operation',
  did,
  seq,
  rev,
  time: '2026-01-01T00:00:00.000Z',
  action: 'create',
  collection: 'app.bsky.feed.post',
  rkey,
  record: {},
})

function fakeRelay(frames: AtprotoEvent[][]) {
  const asked: (number | undefined)[] = []
  const source: Source<number> = {
    connected: true,
    async *deliveries(_signal, after) {
      asked.push(after)
      for (const events of frames) yield { events, ack: () => {} } satisfies Delivery
    },
  }
  return { source, asked }
}

function seam(frames: AtprotoEvent[][], backfill: Promise<Backfill>, endSeq?: number) {
  const relay = fakeRelay(frames)
  const drops: string[] = []
  const wrapped = withBackfillSeam(
    relay.source,
    { workTopic: 'work' },
    {
      backfill: async (_signal, hooks) => {
        hooks.onLeft(3)
        const b = await backfill
        hooks.onLoading()
        return b
      },
      metrics: { eventDropped: (reason) => drops.push(reason) },
      logger: pino({ level: 'silent' }),
      currentSeq: () => (endSeq === undefined ? new Promise(() => {}) : Promise.resolve(endSeq)),
    },
  )
  return { wrapped, relay, drops }
}

const collect = async (source: Source<number>, after?: number) => {
  const out: AtprotoEvent[][] = []
  for await (const d of source.deliveries(new AbortController().signal, after)) out.push([...d.events])
  return out
}

test('waits for the backfill, then reads from its seq and drops what the copies hold', async () => {
  const floor = new RevFloor(1 << 20)
  floor.set('did:plc:a', '3kfx2xgn3a22m')
  let done!: (b: Backfill) => void
  const frames = [
    [op(100, 'did:plc:a', '3kfx2xgn3a22c'), op(100, 'did:plc:a', '3kfx2xgn3a22c', 'second')], // in the copy
    [op(101, 'did:plc:a', '3kfx2xgn3a22m')], // the copied rev itself
    [{ kind: 'identity', did: 'did:plc:a', seq: 102, time: '2026-01-01T00:00:00.000Z' } as AtprotoEvent],
    [op(103, 'did:plc:b', '3kfx2xgn3a22c')], // never copied
    [op(104, 'did:plc:a', '3kfx2xgn3a22n')], // after the copy
  ]
  const { wrapped, relay, drops } = seam(
    frames,
    new Promise((r) => {
      done = r
    }),
  )
  const reading = collect(wrapped)
  await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(relay.asked, [], 'nothing read while the backfill is not done')
  assert.equal(wrapped.seam().state, 'waiting')
  assert.equal(wrapped.seam().left, 3)
  done({ liveSeq: 100, floor })
  const out = await reading
  assert.deepEqual(relay.asked, [99], 'from the seq the plan noted')
  assert.deepEqual(
    out.map((events) => events.map((e) => `${e.kind} ${'seq' in e ? e.seq : ''}`)),
    [[], [], ['identity 102'], ['operation 103'], ['operation 104']],
  )
  assert.deepEqual(drops, ['copied_by_backfill', 'copied_by_backfill', 'copied_by_backfill'])
  assert.deepEqual(wrapped.seam(), {
    workTopic: 'work',
    state: 'filtering',
    left: 0,
    liveSeq: 100,
    endSeq: null,
    repos: 1,
    bytes: floor.bytes,
    skipped: 3,
  })
})

test('a stored cursor wins over the plan’s seq', async () => {
  const { wrapped, relay } = seam([], Promise.resolve({ liveSeq: 100, floor: new RevFloor(1 << 20) }))
  await collect(wrapped, 250)
  assert.deepEqual(relay.asked, [250])
})

test('past the seq noted once the backfill was done, the table is let go', async () => {
  const floor = new RevFloor(1 << 20)
  floor.set('did:plc:a', '3kfx2xgn3a22m')
  const frames = [
    [op(150, 'did:plc:a', '3kfx2xgn3a22c')], // dropped: at or below the copy
    [op(201, 'did:plc:a', '3kfx2xgn3a22c'), op(201, 'did:plc:a', '3kfx2xgn3a22c', 'x')], // past 200: kept
  ]
  const { wrapped, drops } = seam(frames, Promise.resolve({ liveSeq: 100, floor }), 200)
  const out = await collect(wrapped)
  assert.deepEqual(
    out.map((e) => e.length),
    [0, 2],
  )
  assert.equal(drops.length, 1)
  assert.equal(wrapped.seam().state, 'passed')
  assert.equal(wrapped.seam().endSeq, 200)
})
