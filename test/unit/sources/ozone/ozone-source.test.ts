// The ozone-events source against a fake PDS, for faults the real Ozone and PDS cannot be made
// to produce on demand: 5xx and 429 bursts, a session refused mid-run, bodies that are not what
// the lexicon says, views without what atkafka needs, and a PDS that never answers again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { createMetrics } from '../../../../src/app-metrics.ts'
import { SourceConnectionError, SourceProtocolError } from '../../../../src/errors.ts'
import type { ModerationEvent } from '../../../../src/events/atproto-event.ts'
import { createOzoneSource, type OzoneSourceConfig } from '../../../../src/sources/ozone/ozone-source.ts'
import type { XrpcCall, XrpcRequest, XrpcResult } from '../../../../src/sources/ozone/xrpc-call.ts'
import { XrpcTransportError } from '../../../../src/sources/ozone/xrpc-call.ts'

const logger = pino({ level: 'silent' })
const config: OzoneSourceConfig = {
  pdsHost: 'http://pds.test',
  identifier: 'mod.test',
  password: 'pw',
  labelerDid: 'did:plc:labeler',
  pollIntervalMs: 10,
  overlapMs: 1000,
  maxTracked: 1000,
  pageLimit: 2,
  requestTimeoutMs: 1000,
  retryMinMs: 5,
  retryMaxMs: 20,
  giveUpAfterMs: 0,
  key: 'subject-did',
}

const view = (id: number, ms = id) => ({
  id,
  event: { $type: 'tools.ozone.moderation.defs#modEventComment', comment: `c${id}` },
  subject: {
    $type: 'com.atproto.repo.strongRef',
    uri: `at://did:plc:u${id % 2}/app.bsky.feed.post/x`,
    cid: 'bafy',
  },
  subjectBlobCids: [],
  createdBy: 'did:plc:mod',
  createdAt: new Date(Date.parse('2026-07-01T00:00:00.000Z') + ms).toISOString(),
})
const ok = (body: unknown): XrpcResult => ({ ok: true, status: 200, body })
const fail = (status: number, error?: string, message?: string): XrpcResult => ({
  ok: false,
  status,
  error,
  message,
  retryAfterMs: undefined,
})
const login = ok({ did: 'did:plc:mod', accessJwt: 'a.e30.s', refreshJwt: 'r' })

/** answers createSession with `login`, queryEvents from `pages` in turn, then empty pages */
function fake(pages: (XrpcResult | Error)[]): { call: XrpcCall; queries: XrpcRequest[] } {
  const queries: XrpcRequest[] = []
  return {
    queries,
    call: async (req) => {
      if (req.method === 'com.atproto.server.createSession') return login
      if (req.method === 'com.atproto.server.refreshSession') return fail(400, 'ExpiredToken')
      queries.push(req)
      const next = pages.shift()
      if (next instanceof Error) throw next
      return next ?? ok({ events: [] })
    },
  }
}

async function take(source: ReturnType<typeof createOzoneSource>, n: number): Promise<ModerationEvent[]> {
  const out: ModerationEvent[] = []
  const stop = new AbortController()
  for await (const d of source.deliveries(stop.signal)) {
    out.push(...(d.events as ModerationEvent[]))
    d.ack()
    if (out.length >= n) break
  }
  return out
}

test('pages follow the response cursor at once; 503, 429, UpstreamFailure and resets are retried', async () => {
  const pds = fake([
    fail(503),
    ok({ events: [view(1), view(2)], cursor: 'c1' }),
    fail(429, 'RateLimitExceeded'),
    new XrpcTransportError('socket hang up'),
    fail(502, 'UpstreamFailure', 'Upstream service unreachable'),
    ok({ events: [view(3)], cursor: 'c2' }),
  ])
  const metrics = createMetrics()
  const source = createOzoneSource(config, { metrics, logger, call: pds.call })
  const events = await take(source, 3)
  assert.deepEqual(
    events.map((e) => e.id),
    [1, 2, 3],
  )
  assert.equal(events[0]?.did, 'did:plc:u1', 'the DID of a strongRef subject is the URI authority')
  assert.equal(events[0]?.key, 'did:plc:u1')
  assert.deepEqual(pds.queries[1]?.params, {
    sortDirection: 'asc',
    limit: 2,
    createdAfter: undefined,
    cursor: undefined,
  })
  assert.equal(pds.queries[2]?.params?.cursor, 'c1')
  assert.equal(pds.queries[2]?.headers?.['atproto-proxy'], 'did:plc:labeler#atproto_labeler')
  assert.ok(metrics.snapshot().upstreamErrors.Ozoneretry! >= 3)
})

test('ExpiredToken: the session is renewed (refresh refused → login) and the page asked again', async () => {
  const pds = fake([fail(400, 'ExpiredToken', 'Token has expired'), ok({ events: [view(1)] })])
  const source = createOzoneSource(config, { metrics: createMetrics(), logger, call: pds.call })
  assert.deepEqual(
    (await take(source, 1)).map((e) => e.id),
    [1],
  )
  assert.equal(source.session.logins, 2)
})

test('a view without what atkafka needs is dropped and counted; the rest go on', async () => {
  const bad = { ...view(2), createdAt: '2026-07-01T00:00:00Z' }
  const pds = fake([ok({ events: [view(1), bad, { ...view(3), subject: {} }, view(4)] })])
  const metrics = createMetrics()
  const source = createOzoneSource({ ...config, pageLimit: 100 }, { metrics, logger, call: pds.call })
  assert.deepEqual(
    (await take(source, 2)).map((e) => e.id),
    [1, 4],
  )
  assert.equal(metrics.snapshot().dropped.invalid_event, 2)
})

test('an answer that is not a queryEvents output ends the run', async () => {
  const pds = fake([ok({ events: 'nope' })])
  const source = createOzoneSource(config, { metrics: createMetrics(), logger, call: pds.call })
  await assert.rejects(take(source, 1), SourceProtocolError)
  const malformed = fake([fail(400, 'InvalidRequest', 'Malformed cursor')])
  await assert.rejects(
    take(createOzoneSource(config, { metrics: createMetrics(), logger, call: malformed.call }), 1),
    (e: unknown) => e instanceof SourceProtocolError && /Malformed cursor/.test(e.message),
  )
})

test('after the first page, config-like refusals are retried; past giveUpAfterMs the run ends', async () => {
  let now = 0
  const failures = Array.from({ length: 50 }, () =>
    fail(401, 'AuthenticationRequired', 'not a moderator account'),
  )
  const pds = fake([ok({ events: [view(1)] }), ...failures])
  const source = createOzoneSource(
    { ...config, giveUpAfterMs: 200 },
    {
      metrics: createMetrics(),
      logger,
      call: async (req) => {
        now += 20
        return pds.call(req)
      },
      now: () => now,
    },
  )
  await assert.rejects(
    take(source, 5),
    (e: unknown) => e instanceof SourceConnectionError && /giving up/.test(e.message),
  )
})
