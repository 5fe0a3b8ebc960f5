// The local Jetstream v2 (test/helpers/jetstream-v2-server.ts) against the recording: every
// recorded exchange answered byte for byte, what it serves beyond the recording (range reads,
// resumed plans, filtered and resumed live streams) equal to what the recording shows the real
// server does, and every plan, segment list and live frame valid under the recorded lexicons.
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import WebSocket from 'ws'
import { repoRoot } from '../helpers/fixture-paths.ts'
import {
  archiveExchanges,
  exchangeBody,
  fixtureBytes,
  jetstreamV2Dir,
  liveMessages,
} from '../helpers/jetstream-v2-fixtures.ts'
import { type StandIn, startJetstreamStandIn } from '../helpers/jetstream-v2-server.ts'

/** JSON data model → lex values ($bytes → bytes, $link → CID), as the validator wants them */
let jsonToLex: (value: unknown) => unknown

interface Lexicons {
  assertValidXrpcOutput(nsid: string, value: unknown): unknown
  assertValidXrpcInput(nsid: string, value: unknown): unknown
  assertValidXrpcMessage(nsid: string, value: unknown): unknown
}

function recordedLexicons(): Lexicons {
  const require = createRequire(join(repoRoot, 'test', 'upstreams', 'pds', 'package.json'))
  const lexicon = require('@atproto/lexicon') as {
    Lexicons: new (docs: unknown[]) => Lexicons
    jsonToLex: (value: unknown) => unknown
  }
  const { Lexicons } = lexicon
  jsonToLex = lexicon.jsonToLex
  const dirs = ['lexicons/network/bsky/jetstream', 'lexicons/com/atproto/sync']
  const files = dirs.flatMap((d) => readdirSync(join(jetstreamV2Dir, d)).map((f) => join(d, f)))
  return new Lexicons(files.map((f) => JSON.parse(fixtureBytes(f).toString())))
}

let server: StandIn
before(async () => {
  server = await startJetstreamStandIn()
})
after(() => server.close())

async function request(
  method: string,
  path: string,
  query = '',
  headers: Record<string, string> = {},
  body?: unknown,
) {
  const res = await fetch(`${server.url}${path}${query ? `?${query}` : ''}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

test('every recorded archive exchange is answered with the recorded status, validators and body', async () => {
  const lexicons = recordedLexicons()
  for (const e of archiveExchanges()) {
    const got = await request(e.method, e.path, e.query, e.requestHeaders, e.requestBody)
    assert.equal(got.status, e.status, e.label)
    assert.ok(got.body.equals(e.method === 'HEAD' ? Buffer.alloc(0) : exchangeBody(e)), e.label)
    for (const name of ['ETag', 'Content-Range', 'Content-Type', 'Cache-Control', 'Accept-Ranges']) {
      assert.equal(got.headers.get(name) ?? undefined, e.responseHeaders[name], `${e.label} ${name}`)
    }
    if (e.status !== 200 || !e.responseHeaders['Content-Type']?.startsWith('application/json')) continue
    const nsid = e.path.slice('/xrpc/'.length)
    if (e.requestBody !== undefined) lexicons.assertValidXrpcInput(nsid, e.requestBody)
    lexicons.assertValidXrpcOutput(nsid, JSON.parse(got.body.toString()))
  }
})

test('beyond the recording: range reads follow HTTP as the recorded ones do; resumed plans page as the server pages', async () => {
  const lexicons = recordedLexicons()
  const full = exchangeBody(archiveExchanges().find((e) => e.label === 'full_getSegment_seg_0000000000')!)
  const part = await request('GET', '/xrpc/network.bsky.jetstream.getSegment', 'name=seg_0000000000.jss', {
    Range: 'bytes=100-60531',
    'If-Range': '"c332a77b65cc048f"',
  })
  assert.equal(part.status, 206)
  assert.equal(part.headers.get('content-range'), `bytes 100-60531/${full.length}`)
  assert.ok(part.body.equals(full.subarray(100)))
  // an unrecorded plan: afterSeq inside segment 1 → segments 1..4, then the tip
  const planPath = '/xrpc/network.bsky.jetstream.planSnapshot'
  const resumed = JSON.parse(
    (await request('POST', planPath, '', {}, { afterSeq: 700, beforeSeq: 2890 })).body.toString(),
  )
  lexicons.assertValidXrpcOutput('network.bsky.jetstream.planSnapshot', resumed)
  assert.deepEqual(
    resumed.segments.map((s: { index: number }) => s.index),
    [1, 2, 3, 4],
  )
  assert.equal(resumed.plannedThroughSeq, 2890)
  const done = JSON.parse(
    (await request('POST', planPath, '', {}, { afterSeq: 2890, beforeSeq: 2890 })).body.toString(),
  )
  assert.deepEqual(done.segments, [])
  assert.equal(done.plannedThroughSeq, 2890)
})

/** every message of one connection until `count` arrived (or the socket closed) */
function receive(
  query: string,
  count: number,
): Promise<{ messages: Buffer[]; protocol: string; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const url = `${server.url.replace('http', 'ws')}/xrpc/network.bsky.jetstream.subscribeEvents${query}`
    const ws = new WebSocket(url, 'xrpc.v1.json')
    const messages: Buffer[] = []
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c))
      res.on('end', () => resolve({ messages, protocol: '', status: res.statusCode, body }))
    })
    ws.on('message', (data: Buffer) => {
      messages.push(data)
      if (messages.length >= count) {
        ws.close()
        resolve({ messages, protocol: ws.protocol })
      }
    })
    ws.on('error', (err) => reject(err))
    ws.on('close', () => resolve({ messages, protocol: ws.protocol }))
  })
}

test('live: the recorded streams byte for byte, lexicon-valid; filtered and resumed as the server does', async () => {
  const lexicons = recordedLexicons()
  for (const [name, query] of [
    ['cutover_plain', '?cursor=2890'],
    ['cutover_zstd', '?cursor=2890&zstdDictionary=20260811'],
    ['cutover_filtered_likes', '?collections=app.bsky.feed.like&cursor=2890'],
  ] as const) {
    const want = liveMessages(name).map((m) => m.data)
    const got = await receive(query, want.length)
    assert.equal(got.protocol, 'xrpc.v1.json')
    assert.equal(got.messages.length, want.length, name)
    assert.ok(
      got.messages.every((m, i) => m.equals(want[i]!)),
      name,
    )
  }
  for (const m of liveMessages('cutover_plain')) {
    lexicons.assertValidXrpcMessage(
      'network.bsky.jetstream.subscribeEvents',
      jsonToLex(JSON.parse(m.data.toString()).payload),
    )
  }
  // a reconnect at 6671 starts at 6671 (inclusive), with the recorded frames
  const recorded = liveMessages('reconnect_plain').map((m) => m.data)
  const resumed = await receive('?cursor=6671', 21)
  assert.ok(
    resumed.messages.every(
      (m, i) => i >= recorded.length || JSON.parse(m.toString()).payload.seq === 6671 + i,
    ),
  )
  assert.equal(JSON.parse(resumed.messages[0]!.toString()).payload.seq, 6671)
})

test('live: the recorded rejections, before the upgrade', async () => {
  for (const name of [
    'err_unknown_zstd_dictionary',
    'err_bad_kind',
    'err_legacy_param',
    'err_bad_cursor',
    'err_collections_without_commit',
  ]) {
    const connection = JSON.parse(fixtureBytes(`live/${name}/connection.json`).toString())
    const got = await receive(connection.url.slice(connection.url.indexOf('?')), 1)
    assert.equal(got.status, 400, name)
    assert.deepEqual(JSON.parse(got.body!), connection.body, name)
  }
  server.options = { lookbackFloor: 5835 }
  try {
    const tooOld = await receive('?cursor=1', 1)
    const recorded = JSON.parse(fixtureBytes('live/err_cursor_too_old/connection.json').toString())
    assert.equal(tooOld.status, 400)
    assert.deepEqual(JSON.parse(tooOld.body!), recorded.body)
  } finally {
    server.options = {}
  }
})
