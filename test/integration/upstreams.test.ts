// Proves the two real upstreams the integration tests build on: a local PLC + PDS
// (@atproto/pds, test/upstreams/pds) whose firehose carries real #commit frames, and the real
// Tap (indigo cmd/tap) reading that PDS as its relay and delivering records over /channel
// with the websocket-ack protocol. Both are installed by scripts/setup-upstreams.sh.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeFirst } from '@atcute/cbor'
import WebSocket from 'ws'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { startTap } from '../helpers/local-tap.ts'
import { PdsClient, type Session, type WriteResult } from '../helpers/pds-client.ts'

interface FrameHeader {
  op: number
  t?: string
}

interface CommitBody {
  seq: number
  repo: string
  rev: string
  ops: { action: string; path: string; cid: unknown }[]
}

interface TapRecordEvent {
  id: number
  type: 'record'
  record: {
    live: boolean
    did: string
    rev: string
    collection: string
    rkey: string
    action: 'create' | 'update' | 'delete'
    cid?: string
    record?: Record<string, unknown>
  }
}

interface TapIdentityEvent {
  id: number
  type: 'identity'
  identity: { did: string; handle: string; is_active: boolean; status: string }
}

type TapEvent = TapRecordEvent | TapIdentityEvent

/** Collects items and lets a test wait for the first one matching a predicate. */
class Inbox<T> {
  readonly items: T[] = []
  private waiters: (() => void)[] = []

  push(item: T): void {
    this.items.push(item)
    for (const wake of this.waiters.splice(0)) wake()
  }

  async waitFor(what: string, match: (item: T) => boolean, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.items.find(match)
      if (found !== undefined) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

async function closeSocket(ws: WebSocket | undefined): Promise<void> {
  if (!ws || ws.readyState === WebSocket.CLOSED) return
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
  ws.close()
  const timer = setTimeout(() => ws.terminate(), 2000)
  await closed
  clearTimeout(timer)
}

describe('real upstreams: local PLC + PDS, and Tap', () => {
  let pds: LocalPds
  let client: PdsClient
  let firehose: WebSocket | undefined
  const frames = new Inbox<{ header: FrameHeader; body: unknown }>()
  let alice: Session
  let bob: Session
  let post: WriteResult
  const postText = 'hello from alice 🌍 (atkafka upstreams test)'

  before(async () => {
    pds = await startLocalPds()
    process.stderr.write(`upstreams: PDS + PLC ready in ${pds.startMs} ms (${pds.pdsUrl}, ${pds.plcUrl})\n`)
    client = new PdsClient(pds.pdsUrl, { adminPassword: pds.adminPassword })
    firehose = await openSocket(pds.firehoseUrl)
    firehose.on('message', (data: Buffer) => {
      const [header, rest] = decodeFirst(new Uint8Array(data)) as [FrameHeader, Uint8Array]
      const [body] = decodeFirst(rest) as [unknown, Uint8Array]
      frames.push({ header, body })
    })
    alice = await client.createAccount('alice.test')
    bob = await client.createAccount('bob.test')
    post = await client.createRecord(alice, 'app.bsky.feed.post', {
      text: postText,
      createdAt: new Date().toISOString(),
      langs: ['en'],
    })
  })

  after(async () => {
    await closeSocket(firehose)
    await pds?.stop()
  })

  test('the PDS firehose carries the #commit frame of the post', async () => {
    assert.match(alice.did, /^did:plc:/)
    assert.equal(alice.handle, 'alice.test')
    assert.match(bob.did, /^did:plc:/)
    const path = `app.bsky.feed.post/${post.rkey}`
    const frame = await frames.waitFor('the #commit of the post', ({ header, body }) => {
      const b = body as CommitBody
      return header.t === '#commit' && b.repo === alice.did && b.ops?.some((op) => op.path === path)
    })
    assert.equal(frame.header.op, 1)
    assert.equal(frame.header.t, '#commit')
    const body = frame.body as CommitBody
    assert.equal(body.rev, post.rev)
    assert.equal(body.ops.find((op) => op.path === path)?.action, 'create')
    // account creation is on the wire too
    assert.ok(
      frames.items.some(
        ({ header, body }) => header.t === '#identity' && (body as { did?: string }).did === bob.did,
      ),
    )
    // and the record is readable over XRPC
    const got = await client.getRecord<{ text: string }>(alice.did, 'app.bsky.feed.post', post.rkey)
    assert.equal(got.value.text, postText)
    assert.equal(got.cid, post.cid)
  })

  test('Tap backfills the repos added over /repos/add, delivers the post on /channel and takes acks', async (t) => {
    await using tap = await startTap({
      relayUrl: pds.pdsUrl,
      plcUrl: pds.plcUrl,
      adminPassword: 'tap-secret',
    })
    process.stderr.write(`upstreams: Tap healthy in ${tap.startMs} ms (${tap.url})\n`)
    const events = new Inbox<TapEvent>()
    const channel = await openSocket(tap.channelUrl, tap.headers)
    const ack = (id: number) => channel.send(JSON.stringify({ type: 'ack', id }))
    channel.on('message', (data: Buffer, isBinary: boolean) => {
      assert.equal(isBinary, false, 'Tap sends text frames')
      const evt = JSON.parse(data.toString('utf8')) as TapEvent
      events.push(evt)
      // everything but the post is acked at once; the post is acked by the test below
      if (!(evt.type === 'record' && evt.record.rkey === post.rkey)) ack(evt.id)
    })
    try {
      await tap.addRepos([alice.did, bob.did])

      // backfill (com.atproto.sync.getRepo from the PDS named in alice's DID document)
      const got = await events.waitFor('the post as a Tap record event', (e) => {
        return e.type === 'record' && e.record.did === alice.did && e.record.rkey === post.rkey
      })
      assert.equal(got.type, 'record')
      const rec = (got as TapRecordEvent).record
      assert.equal(rec.collection, 'app.bsky.feed.post')
      assert.equal(rec.action, 'create')
      assert.equal(rec.cid, post.cid)
      assert.equal(rec.live, false, 'a backfilled record')
      assert.equal(rec.record?.text, postText)
      assert.equal(rec.record?.$type, 'app.bsky.feed.post')
      assert.ok(Number.isInteger(got.id) && got.id > 0)
      ack(got.id)

      // identity events for both repos; *.test handles cannot be verified offline
      for (const who of [alice, bob]) {
        const ident = await events.waitFor(`the identity event of ${who.handle}`, (e) => {
          return e.type === 'identity' && e.identity.did === who.did
        })
        assert.equal((ident as TapIdentityEvent).identity.status, 'active')
        assert.equal((ident as TapIdentityEvent).identity.is_active, true)
        const { handle } = (ident as TapIdentityEvent).identity
        assert.ok(['handle.invalid', who.handle].includes(handle), handle)
        t.diagnostic(`Tap identity event for ${who.handle}: handle=${handle}`)
      }

      // a live commit for alice is only sent once nothing else of hers is in flight, i.e.
      // once the post's ack was taken (an unacked event would hold it for Tap's 60 s retry)
      const second = await client.createRecord(alice, 'app.bsky.feed.post', {
        text: 'a live one',
        createdAt: new Date().toISOString(),
      })
      const live = await events.waitFor(
        'the live post',
        (e) => e.type === 'record' && e.record.rkey === second.rkey,
        15_000,
      )
      const liveRec = (live as TapRecordEvent).record
      assert.equal(liveRec.live, true)
      assert.equal(liveRec.did, alice.did)
      assert.equal(liveRec.rev, second.rev)
      assert.equal(liveRec.record?.text, 'a live one')
      ack(live.id)

      const info = await tap.info(alice.did)
      assert.equal(info.state, 'active')
      assert.equal(info.rev, second.rev)
    } finally {
      await closeSocket(channel)
    }
  })
})
