// The loopback Tap the Tap-mode tests rely on: Tap's outbox rules as a client sees them
// (sent once, resent after the retry timeout while unacked, acks by id), auth, and fault knobs.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import { type FakeTap, identityEvent, recordEvent, startFakeTap } from '../../../helpers/fake-tap.ts'

interface Client {
  ws: WebSocket
  frames: string[]
  closed: Promise<number>
  take(n: number): Promise<string[]>
}

function connect(tap: FakeTap, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(tap.channelUrl, { headers })
    const frames: string[] = []
    const waiters: (() => void)[] = []
    ws.on('message', (data: Buffer, binary: boolean) => {
      assert.equal(binary, false)
      frames.push(data.toString())
      for (const w of waiters.splice(0)) w()
    })
    const closed = new Promise<number>((r) =>
      ws.on('close', (code) => {
        for (const w of waiters.splice(0)) w()
        r(code)
      }),
    )
    const take = async (n: number) => {
      while (frames.length < n && ws.readyState !== WebSocket.CLOSED)
        await new Promise<void>((r) => waiters.push(r))
      return frames.slice(0, n)
    }
    ws.once('open', () => resolve({ ws, frames, closed, take }))
    ws.once('error', reject)
  })
}

const ack = (c: Client, id: number) => c.ws.send(JSON.stringify({ type: 'ack', id }))

describe('fake tap', () => {
  test('sends queued and later events as JSON text; records acks by id and connection', async () => {
    await using tap = await startFakeTap({ events: [recordEvent(1), identityEvent(2)] })
    const c = await connect(tap)
    const got = (await c.take(2)).map((f) => JSON.parse(f) as { id: number; type: string })
    assert.deepEqual(
      got.map((e) => [e.id, e.type]),
      [
        [1, 'record'],
        [2, 'identity'],
      ],
    )
    tap.send([recordEvent(3), 'raw {not json'])
    assert.equal((await c.take(4))[3], 'raw {not json')
    ack(c, 1)
    ack(c, 3)
    await tap.waitForAcks([1, 3])
    assert.deepEqual(tap.unackedIds, [2])
    assert.deepEqual(tap.connections[0]?.ackedIds, [1, 3])
    c.ws.close()
  })

  test('unacked events are resent after the retry timeout, acked ones are not', async () => {
    await using tap = await startFakeTap({ events: [recordEvent(1), recordEvent(2)], retryTimeoutMs: 100 })
    const c = await connect(tap)
    await c.take(2)
    ack(c, 1)
    const frames = await c.take(3)
    assert.equal((JSON.parse(frames[2]!) as { id: number }).id, 2)
    ack(c, 2)
    await tap.waitForAcks([2])
    const before = c.frames.length
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(c.frames.length, before, 'nothing more once everything is acked')
    c.ws.close()
  })

  test('a disconnect alone does not resend; redeliver() does, on the next connection', async () => {
    await using tap = await startFakeTap({
      events: [recordEvent(1), recordEvent(2), recordEvent(3)],
      dropAfterFrames: 2,
    })
    const c1 = await connect(tap)
    await c1.closed
    assert.equal(c1.frames.length, 2)
    const c2 = await connect(tap)
    const f = await c2.take(1) // only event 3 is new
    assert.equal((JSON.parse(f[0]!) as { id: number }).id, 3)
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(c2.frames.length, 1, 'no redelivery on reconnect')
    c2.ws.close()
    await c2.closed
    tap.redeliver()
    const c3 = await connect(tap)
    const again = (await c3.take(2)).map((x) => (JSON.parse(x) as { id: number }).id)
    assert.deepEqual(again, [1, 2])
    await c3.closed // cut after its 2nd frame
  })

  test('Basic auth: 401 without the right password; a non-JSON client frame ends the connection', async () => {
    await using tap = await startFakeTap({ adminPassword: 'pw' })
    await assert.rejects(connect(tap), /401/)
    await assert.rejects(
      connect(tap, { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` }),
      /401/,
    )
    const c = await connect(tap, { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` })
    c.ws.send('{"type":"hello"}') // JSON but not an ack: ignored
    c.ws.send('not json')
    await c.closed
    assert.deepEqual(tap.otherClientFrames, ['{"type":"hello"}', 'not json'])
    assert.deepEqual(
      tap.connections.map((x) => x.accepted),
      [false, false, true],
    )
  })
})
