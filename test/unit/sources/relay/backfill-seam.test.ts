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
  done({ liveSeq: 100, floor, done: Promise.resolve() })
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
  const { wrapped, relay } = seam(
    [],
    Promise.resolve({ liveSeq: 100, floor: new RevFloor(1 << 20), done: Promise.resolve() }),
  )
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
  const { wrapped, drops } = seam(
    frames,
    Promise.resolve({ liveSeq: 100, floor, done: Promise.resolve() }),
    200,
  )
  const out = await collect(wrapped)
  assert.deepEqual(
    out.map((e) => e.length),
    [0, 2],
  )
  assert.equal(drops.length, 1)
  assert.equal(wrapped.seam().state, 'passed')
  assert.equal(wrapped.seam().endSeq, 200)
})

/** a relay whose frames the test sends one at a time, and sees each one through the seam */
function steppedSeam(backfill: Backfill, endSeq: number) {
  const asked: (number | undefined)[] = []
  const frames: ((events: AtprotoEvent[]) => void)[] = []
  let next!: Promise<AtprotoEvent[]>
  const arm = () => {
    next = new Promise((r) => frames.push(r))
  }
  arm()
  const source: Source<number> = {
    connected: true,
    async *deliveries(_signal, after) {
      asked.push(after)
      for (;;) {
        const events = await next
        arm()
        if (events.length === 0) return
        yield { events, ack: () => {} } satisfies Delivery
      }
    },
  }
  const drops: string[] = []
  let noted = 0
  const wrapped = withBackfillSeam(
    source,
    { workTopic: 'work' },
    {
      backfill: async () => backfill,
      metrics: { eventDropped: (reason) => drops.push(reason) },
      logger: pino({ level: 'silent' }),
      currentSeq: async () => {
        noted++
        return endSeq
      },
    },
  )
  const it = wrapped.deliveries(new AbortController().signal, undefined)[Symbol.asyncIterator]()
  /** sends a frame; what came out of the seam for it (an error when the seam ends the run) */
  const send = async (events: AtprotoEvent[]) => {
    const out = it.next()
    frames.at(-1)!(events)
    const r = await out
    return r.done ? undefined : r.value.events.map((e) => ('rkey' in e ? e.rkey : e.kind))
  }
  return { wrapped, asked, drops, send, noted: () => noted }
}

test('now: live at once while the workers copy; a copy counts from when it is read', async () => {
  const floor = new RevFloor(1 << 20)
  floor.set('did:plc:a', '3kfx2xgn3a22m') // copied before the writer started
  let finish!: () => void
  const done = new Promise<void>((r) => {
    finish = r
  })
  const s = steppedSeam({ liveSeq: 100, floor, done }, 300)
  const first = s.send([
    op(100, 'did:plc:a', '3kfx2xgn3a22c', 'a1'),
    op(100, 'did:plc:b', '3kfx2xgn3a22c', 'b1'),
  ])
  assert.deepEqual(
    await first,
    ['b1'],
    'a copied repo skipped; one not copied yet goes out (its copy will hold it too)',
  )
  assert.deepEqual(s.asked, [99], 'from the plan’s seq, before the backfill is done')
  assert.equal(s.wrapped.seam().state, 'copying')
  // b's copy commits (at a rev past its live op): from now on b's older ops are skipped
  floor.set('did:plc:b', '3kfx2xgn3a22k')
  assert.equal(s.wrapped.seam().repos, 2, 'the status page sees the table grow')
  assert.deepEqual(
    await s.send([op(101, 'did:plc:b', '3kfx2xgn3a22d', 'b2'), op(101, 'did:plc:b', '3kfx2xgn3a22z', 'b3')]),
    ['b3'],
  )
  // not done yet: the table is kept past any seq
  assert.deepEqual(await s.send([op(400, 'did:plc:a', '3kfx2xgn3a22c', 'a2')]), [])
  assert.equal(s.noted(), 0, 'the end seq is noted only once the backfill is done')
  finish()
  await done
  await new Promise((r) => setImmediate(r))
  assert.equal(s.wrapped.seam().state, 'filtering')
  assert.equal(s.noted(), 1)
  assert.deepEqual(
    await s.send([op(301, 'did:plc:a', '3kfx2xgn3a22c', 'a3')]),
    ['a3'],
    'past the end seq: let go',
  )
  assert.equal(s.wrapped.seam().state, 'passed')
  assert.deepEqual(s.drops, ['copied_by_backfill', 'copied_by_backfill', 'copied_by_backfill'])
  assert.deepEqual(
    { repos: s.wrapped.seam().repos, skipped: s.wrapped.seam().skipped },
    { repos: 2, skipped: 3 },
    'the last table numbers stay on the page',
  )
})

test('now: copies that can no longer be followed end the run before anything goes out unfiltered', async () => {
  let fail!: (err: Error) => void
  const done = new Promise<void>((_, reject) => {
    fail = reject
  })
  const s = steppedSeam({ liveSeq: 100, floor: new RevFloor(1 << 20), done }, 300)
  assert.deepEqual(await s.send([op(100, 'did:plc:a', '3kfx2xgn3a22c', 'a1')]), ['a1'])
  fail(new Error('the rev table would grow past its limit'))
  await new Promise((r) => setImmediate(r))
  await assert.rejects(s.send([op(101, 'did:plc:a', '3kfx2xgn3a22d', 'a2')]), /past its limit/)
  assert.equal(s.noted(), 0)
})
