// The test relay and frame tools themselves: re-sequenced frames must decode to the recorded
// bodies, and the relay must follow the real cursor rules and fault knobs the app tests rely on.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { encode } from '@atcute/cbor'
import { WebSocket } from 'ws'
import { readCorpusFrames } from '../../helpers/corpus.ts'
import { type FakeRelay, SUBSCRIBE_REPOS_PATH, startFakeRelay } from '../../helpers/fake-relay.ts'
import {
  encodeFrame,
  errorFrame,
  frameSeq,
  infoFrame,
  resequence,
  resequenced,
  seqTemplate,
  splitFrame,
  unknownFrame,
  withSeq,
} from '../../helpers/frame-tools.ts'

const corpus = readCorpusFrames()
const FIRST = 31527015322
const LAST = 31527015471

const bodyWithout = (frame: Uint8Array) => {
  const { header, body } = splitFrame(frame)
  return encodeFrame(header, { ...body, seq: 0 })
}

// ---- a minimal subscriber -------------------------------------------------------------------

interface Subscription {
  readonly ws: WebSocket
  readonly frames: Uint8Array[]
  readonly closed: Promise<{ code: number; reason: string }>
  /** resolves once `n` frames arrived (rejects if the socket closes first) */
  take(n: number): Promise<Uint8Array[]>
}

function subscribe(relay: FakeRelay, cursor?: number | string): Promise<Subscription> {
  const query = cursor === undefined ? '' : `?cursor=${cursor}`
  const ws = new WebSocket(`${relay.url}${SUBSCRIBE_REPOS_PATH}${query}`)
  const frames: Uint8Array[] = []
  const waiters: (() => void)[] = []
  let isClosed = false
  ws.on('message', (data: Buffer) => {
    frames.push(new Uint8Array(data))
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      isClosed = true
      for (const w of waiters.splice(0)) w()
      resolve({ code, reason: reason.toString() })
    }),
  )
  const take = (n: number) =>
    new Promise<Uint8Array[]>((resolve, reject) => {
      const check = () => {
        if (frames.length >= n) resolve(frames.slice(0, n))
        else if (isClosed) reject(new Error(`closed after ${frames.length} of ${n} frames`))
        else waiters.push(check)
      }
      check()
    })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed, take }))
    ws.once('error', reject)
  })
}

const seqs = (frames: readonly Uint8Array[]) => frames.map((f) => frameSeq(f))
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

// ---- frame tools ----------------------------------------------------------------------------

describe('frame tools', () => {
  test('the corpus round-trips byte for byte through decode + encode (CIDs, bytes)', () => {
    assert.equal(corpus.length, 150)
    for (const frame of corpus) {
      const { header, body } = splitFrame(frame)
      assert.deepEqual(encodeFrame(header, body), frame)
    }
    assert.deepEqual(seqs(corpus), range(FIRST, LAST))
  })

  test('withSeq changes the seq and nothing else', () => {
    for (const frame of corpus.slice(0, 20)) {
      assert.deepEqual(withSeq(frame, frameSeq(frame) ?? -1), frame, 'same seq: same bytes')
      const moved = withSeq(frame, 42)
      assert.equal(frameSeq(moved), 42)
      assert.deepEqual(bodyWithout(moved), bodyWithout(frame))
      assert.deepEqual(splitFrame(moved).header, splitFrame(frame).header)
    }
    assert.throws(() => withSeq(infoFrame('OutdatedCursor'), 1), /no seq/)
    assert.throws(() => withSeq(corpus[0] as Uint8Array, -1), RangeError)
    assert.throws(() => withSeq(corpus[0] as Uint8Array, 2 ** 53), RangeError)
  })

  test('seqTemplate splices exactly what a full re-encode gives, at every integer width', () => {
    const widths = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, FIRST, 2 ** 53 - 1]
    for (const frame of [...corpus.slice(0, 10), unknownFrame('#foo', 7)]) {
      const make = seqTemplate(frame)
      for (const seq of widths) assert.deepEqual(make(seq), withSeq(frame, seq), `seq ${seq}`)
    }
  })

  test('resequence cycles the frames with consecutive seqs; the lazy window gives the same bytes', () => {
    const out = resequence(corpus, 400, 7)
    assert.equal(out.length, 400)
    assert.deepEqual(seqs(out), range(7, 406))
    out.forEach((frame, i) => {
      assert.deepEqual(bodyWithout(frame), bodyWithout(corpus[i % 150] as Uint8Array), `frame ${i}`)
    })
    const lazy = resequenced(corpus, 400, 7)
    assert.equal(lazy.length, 400)
    for (const i of [0, 149, 150, 399]) {
      assert.deepEqual(lazy.frame(i), out[i])
      assert.equal(lazy.seq(i), 7 + i)
    }
    assert.throws(() => lazy.frame(400), RangeError)
    assert.throws(() => resequence([], 1), RangeError)
  })

  test('100,000 re-sequenced frames take seconds, not minutes', (t) => {
    const t0 = performance.now()
    const lazy = resequenced(corpus, 100_000, 1)
    let bytes = 0
    for (let i = 0; i < lazy.length; i++) bytes += lazy.frame(i).length
    const ms = performance.now() - t0
    t.diagnostic(`100k frames (${Math.round(bytes / 2 ** 20)} MiB) made in ${Math.round(ms)} ms`)
    assert.equal(frameSeq(lazy.frame(99_999)), 100_000)
    assert.ok(ms < 20_000, `${ms} ms`)
  })

  test('error, info and unknown frames have the wire shapes of the lexicon', () => {
    assert.deepEqual(splitFrame(errorFrame('FutureCursor', 'x')), {
      header: { op: -1 },
      body: { error: 'FutureCursor', message: 'x' },
    })
    assert.deepEqual(splitFrame(errorFrame('ConsumerTooSlow')).body, { error: 'ConsumerTooSlow' })
    assert.deepEqual(splitFrame(infoFrame('OutdatedCursor', 'm')), {
      header: { op: 1, t: '#info' },
      body: { name: 'OutdatedCursor', message: 'm' },
    })
    assert.equal(frameSeq(infoFrame('OutdatedCursor')), undefined)
    assert.deepEqual(splitFrame(unknownFrame('#foo', 9)).header, { op: 1, t: '#foo' })
    assert.equal(frameSeq(unknownFrame('#foo', 9)), 9)
    assert.deepEqual(errorFrame('X').subarray(0, encode({ op: -1 }).length), encode({ op: -1 }))
  })
})

// ---- the relay ------------------------------------------------------------------------------

describe('fake relay: cursor rules', () => {
  test('no cursor: live head only; appended frames are pushed', async () => {
    await using relay = await startFakeRelay({ frames: corpus.slice(0, 100) })
    const sub = await subscribe(relay)
    await sleep(100)
    assert.equal(sub.frames.length, 0)
    relay.append(corpus.slice(100, 103))
    assert.deepEqual(seqs(await sub.take(3)), range(FIRST + 100, FIRST + 102))
    assert.deepEqual(
      relay.connections.map((c) => c.cursor),
      [null],
    )
    assert.equal(relay.headSeq, FIRST + 102)
  })

  test('no cursor with startAtOldest: the whole window', async () => {
    await using relay = await startFakeRelay({ frames: corpus, startAtOldest: true })
    const sub = await subscribe(relay)
    assert.deepEqual(seqs(await sub.take(150)), range(FIRST, LAST))
  })

  test('cursor = seq of frame 10: replay starts at frame 11 (strictly after)', async () => {
    await using relay = await startFakeRelay({ frames: corpus })
    const cursor = frameSeq(corpus[9] as Uint8Array) ?? 0
    const sub = await subscribe(relay, cursor)
    const got = await sub.take(140)
    assert.deepEqual(got[0], corpus[10])
    assert.deepEqual(seqs(got), range(cursor + 1, LAST))
    await sleep(50)
    assert.equal(sub.frames.length, 140)
    assert.equal(relay.sent, 140)
  })

  test('cursor = head: nothing replayed, then live; cursor=0: the whole window, no #info', async () => {
    await using relay = await startFakeRelay({ frames: corpus.slice(0, 50) })
    const atHead = await subscribe(relay, FIRST + 49)
    const all = await subscribe(relay, 0)
    assert.deepEqual(seqs(await all.take(50)), range(FIRST, FIRST + 49))
    assert.equal(atHead.frames.length, 0)
    relay.append(corpus.slice(50, 52))
    assert.deepEqual(seqs(await atHead.take(2)), [FIRST + 50, FIRST + 51])
    assert.deepEqual(seqs(await all.take(52)), range(FIRST, FIRST + 51))
  })

  test('cursor older than the window: #info OutdatedCursor then the whole window (or silently)', async () => {
    await using relay = await startFakeRelay({ frames: corpus.slice(10) })
    const old = await subscribe(relay, FIRST)
    const [info, ...rest] = await old.take(141)
    assert.deepEqual(splitFrame(info as Uint8Array).body.name, 'OutdatedCursor')
    assert.deepEqual(seqs(rest), range(FIRST + 10, LAST))
    const justBefore = await subscribe(relay, FIRST + 9)
    assert.equal(frameSeq((await justBefore.take(1))[0] as Uint8Array), FIRST + 10, 'no gap: no #info')

    await using silent = await startFakeRelay({ frames: corpus.slice(10), outdatedCursor: 'silent' })
    const quiet = await subscribe(silent, FIRST)
    assert.deepEqual(seqs(await quiet.take(140)), range(FIRST + 10, LAST))
  })

  test('cursor past the head: FutureCursor error frame, then close 1008', async () => {
    await using relay = await startFakeRelay({ frames: corpus })
    const sub = await subscribe(relay, LAST + 1)
    assert.deepEqual(await sub.closed, { code: 1008, reason: 'FutureCursor' })
    assert.equal(sub.frames.length, 1)
    assert.deepEqual(splitFrame(sub.frames[0] as Uint8Array), {
      header: { op: -1 },
      body: { error: 'FutureCursor', message: 'Cursor in the future.' },
    })
    await using empty = await startFakeRelay({ frames: [] })
    assert.equal((await (await subscribe(empty, 1)).closed).reason, 'FutureCursor')
    assert.equal((await (await subscribe(empty, 'abc')).closed).reason, 'InvalidRequest')
  })

  test('other paths get a 404 before the upgrade', async () => {
    await using relay = await startFakeRelay({ frames: corpus })
    const ws = new WebSocket(`${relay.url}/xrpc/com.atproto.sync.subscribeLabels`)
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode))
      ws.on('error', () => resolve(undefined))
    })
    assert.equal(status, 404)
  })

  test('an error frame in the window ends that connection, like a real server', async () => {
    const frames = [...corpus.slice(0, 5), errorFrame('ConsumerTooSlow', 'x'), ...corpus.slice(5, 10)]
    await using relay = await startFakeRelay({ frames })
    const sub = await subscribe(relay, 0)
    assert.deepEqual(await sub.closed, { code: 1008, reason: 'ConsumerTooSlow' })
    assert.equal(sub.frames.length, 6)
    const again = await subscribe(relay, FIRST + 4)
    assert.deepEqual(seqs(await again.take(5)), range(FIRST + 5, FIRST + 9))
  })

  test('malformed frames are sent as they are', async () => {
    const junk = (corpus[3] as Uint8Array).subarray(0, 100)
    await using relay = await startFakeRelay({
      frames: [corpus[0] as Uint8Array, junk, corpus[1] as Uint8Array],
    })
    const sub = await subscribe(relay, 0)
    const got = await sub.take(3)
    assert.deepEqual(got[1], junk)
  })
})

describe('fake relay: faults and flow control', () => {
  test('dropConnections, then reconnecting with the last seq resumes with no gap and no duplicate', async () => {
    await using relay = await startFakeRelay({ frames: corpus, ratePerSecond: 500 })
    const first = await subscribe(relay, 0)
    await first.take(30)
    relay.dropConnections()
    const { code } = await first.closed
    assert.equal(code, 1006, 'abrupt: no close frame')
    const last = frameSeq(first.frames.at(-1) as Uint8Array) ?? 0
    assert.ok(first.frames.length < 150)
    const second = await subscribe(relay, last)
    await second.take(150 - first.frames.length)
    assert.deepEqual(seqs([...first.frames, ...second.frames]), range(FIRST, LAST))
    assert.deepEqual(
      relay.connections.map((c) => c.cursor),
      ['0', String(last)],
    )
    assert.equal(relay.open, 1)
  })

  test('dropEvery: each connection gets exactly N frames, then the socket is cut', async () => {
    await using relay = await startFakeRelay({ frames: corpus, dropEvery: { frames: 17 } })
    const all: Uint8Array[] = []
    let cursor = 0
    for (let i = 0; i < 9; i++) {
      const sub = await subscribe(relay, cursor)
      if (i < 8) {
        assert.equal((await sub.closed).code, 1006)
        assert.equal(sub.frames.length, 17, `connection ${i}`)
      } else await sub.take(14)
      all.push(...sub.frames)
      cursor = frameSeq(all.at(-1) as Uint8Array) ?? 0
    }
    assert.deepEqual(seqs(all), range(FIRST, LAST))
    assert.equal(relay.connections.length, 9)
    assert.equal(relay.connections[1]?.cursor, String(FIRST + 16))
  })

  test('a big replay to a stalled consumer stays bounded by the buffer, then completes', async () => {
    const window = resequenced(corpus, 20_000, 1) // ~100 MiB if it were all in memory
    await using relay = await startFakeRelay({ frames: window, highWaterBytes: 256 * 1024 })
    const sub = await subscribe(relay, 0)
    sub.ws.pause()
    await sleep(300)
    const stalled = relay.sent
    await sleep(200)
    assert.equal(relay.sent, stalled, 'no progress while the consumer reads nothing')
    assert.ok(stalled < 5000, `sent ${stalled} of 20000 frames to a consumer that read nothing`)
    sub.ws.resume()
    const got = await sub.take(20_000)
    got.forEach((frame, i) => {
      if (i % 997 === 0) assert.equal(frameSeq(frame), i + 1)
    })
    assert.equal(frameSeq(got.at(-1) as Uint8Array), 20_000)
  })

  test('maxBuffered: a consumer that stays behind gets ConsumerTooSlow and is closed', async () => {
    const window = resequenced(corpus, 20_000, 1)
    await using relay = await startFakeRelay({
      frames: window,
      highWaterBytes: 1024 * 1024,
      maxBuffered: 64 * 1024,
      maxBufferedMs: 100,
    })
    const sub = await subscribe(relay, 0)
    sub.ws.pause()
    await sleep(500)
    sub.ws.resume()
    assert.deepEqual(await sub.closed, { code: 1008, reason: 'ConsumerTooSlow' })
    const last = sub.frames.at(-1) as Uint8Array
    assert.deepEqual(splitFrame(last).body.error, 'ConsumerTooSlow')
    assert.deepEqual(seqs(sub.frames.slice(0, -1)), range(1, sub.frames.length - 1), 'no gap before it')
    assert.ok(sub.frames.length < 20_000)
  })

  test('ratePerSecond paces the stream', async () => {
    await using relay = await startFakeRelay({ frames: corpus.slice(0, 30), ratePerSecond: 100 })
    const t0 = performance.now()
    const sub = await subscribe(relay, 0)
    await sub.take(30)
    const ms = performance.now() - t0
    assert.ok(ms >= 200 && ms < 3000, `30 frames at 100/s took ${ms} ms`)
  })

  test('close terminates subscribers and stops listening', async () => {
    const relay = await startFakeRelay({ frames: corpus })
    const sub = await subscribe(relay)
    await relay.close()
    assert.equal((await sub.closed).code, 1006)
    await assert.rejects(subscribe(relay))
    await relay.close() // idempotent
  })
})
