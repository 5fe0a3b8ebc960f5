// The moderator session against a fake PDS (what the real one answers is pinned in
// test/integration/ozone-api.test.ts; the real session behaviour is tested in
// test/integration/ozone-source.test.ts): renewal times, refresh rotation, the fall-back to a
// new login, and errors that never hold the password.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { createOzoneSession, OzoneFailure, renewAt } from '../../../../src/sources/ozone/ozone-session.ts'
import type { XrpcCall, XrpcRequest, XrpcResult } from '../../../../src/sources/ozone/xrpc-call.ts'

const logger = pino({ level: 'silent' })
const jwt = (iat: number, exp: number, n = 0) =>
  `e30.${Buffer.from(JSON.stringify({ iat, exp, n })).toString('base64url')}.sig`

const config = {
  pdsHost: 'http://pds.test',
  identifier: 'mod.test',
  password: 'secret-app-password',
  labelerDid: 'did:plc:labeler',
  requestTimeoutMs: 1000,
}

function fakePds(answers: ((req: XrpcRequest) => XrpcResult)[]): { call: XrpcCall; calls: XrpcRequest[] } {
  const calls: XrpcRequest[] = []
  return {
    calls,
    call: async (req) => {
      calls.push(req)
      const next = answers.shift()
      if (!next) throw new Error(`unexpected call ${req.method}`)
      return next(req)
    },
  }
}

const tokens = (now: number, n: number): XrpcResult => ({
  ok: true,
  status: 200,
  body: { did: 'did:plc:mod', accessJwt: jwt(now / 1000, now / 1000 + 100, n), refreshJwt: `refresh-${n}` },
})
const refused = (status: number, error: string, message: string): XrpcResult => ({
  ok: false,
  status,
  error,
  message,
  retryAfterMs: undefined,
})

test('renewAt: a fifth of the lifetime before expiry, at most five minutes before', () => {
  assert.equal(renewAt(jwt(1000, 1100), 0), 1_080_000)
  assert.equal(renewAt(jwt(0, 7200), 0), 6_900_000)
  assert.equal(renewAt('not-a-jwt', 5), 5 + 600_000)
})

test('logs in once, refreshes ahead of expiry with the rotated refresh token, re-logs in when refused', async () => {
  let now = 1_000_000
  const pds = fakePds([
    () => tokens(now, 1),
    () => tokens(now, 2),
    () => refused(400, 'ExpiredToken', 'Token has expired'),
    () => tokens(now, 3),
  ])
  const s = createOzoneSession(config, { call: pds.call, logger, now: () => now })
  const t1 = await s.token()
  assert.equal(await s.token(), t1, 'no call while the token is fresh')
  now += 81_000 // past renewAt (100 s lifetime: renew 20 s before)
  const t2 = await s.token()
  assert.notEqual(t2, t1)
  assert.equal(pds.calls[1]?.method, 'com.atproto.server.refreshSession')
  assert.equal(pds.calls[1]?.token, 'refresh-1')
  assert.equal(pds.calls[1]?.post, true)
  now += 81_000
  await s.token()
  assert.equal(pds.calls[2]?.token, 'refresh-2', 'the rotated refresh token')
  assert.equal(pds.calls[3]?.method, 'com.atproto.server.createSession')
  assert.equal(s.logins, 2)
  assert.equal(s.refreshes, 1)
})

test('invalidate(token) makes the next token() renew it, once for concurrent callers', async () => {
  const now = 1_000_000
  const pds = fakePds([() => tokens(now, 1), () => tokens(now, 2)])
  const s = createOzoneSession(config, { call: pds.call, logger, now: () => now })
  const t1 = await s.token()
  s.invalidate('some other token')
  assert.equal(await s.token(), t1)
  s.invalidate(t1)
  const [a, b] = await Promise.all([s.token(), s.token()])
  assert.equal(a, b)
  assert.equal(pds.calls.length, 2)
})

test('a refused login is a config failure naming the options, never holding the password', async () => {
  const pds = fakePds([() => refused(401, 'AuthenticationRequired', 'Invalid identifier or password')])
  const s = createOzoneSession(config, { call: pds.call, logger })
  const err = await s.token().then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof OzoneFailure)
  assert.equal(err.failure.kind, 'config')
  assert.match(err.message, /--identifier .*--password .*ATKAFKA_OZONE_PASSWORD/)
  assert.ok(!err.message.includes(config.password))
  assert.ok(!JSON.stringify(err).includes(config.password))
})

test('a 2FA account, an unreachable PDS, and a 503 are told apart', async () => {
  const twoFactor = fakePds([() => refused(401, 'AuthFactorTokenRequired', 'A sign in code has been sent')])
  const e1 = await createOzoneSession(config, { call: twoFactor.call, logger })
    .token()
    .catch((e: OzoneFailure) => e)
  assert.equal((e1 as OzoneFailure).failure.kind, 'config')
  assert.match((e1 as OzoneFailure).message, /app password/)
  const busy = fakePds([() => ({ ...refused(503, '', 'busy'), retryAfterMs: 2000 })])
  const e2 = await createOzoneSession(config, { call: busy.call, logger })
    .token()
    .catch((e: OzoneFailure) => e)
  assert.deepEqual((e2 as OzoneFailure).failure, {
    kind: 'retry',
    message: 'login: HTTP 503: busy',
    retryAfterMs: 2000,
  })
})
