// What each answer of the real PDS / Ozone (as pinned in test/integration/ozone-api.test.ts)
// means for ozone-events.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loginFailure, queryFailure, refreshFailure } from '../../../../src/sources/ozone/ozone-failures.ts'

const ctx = { pdsHost: 'https://pds.example', identifier: 'mod.example', labelerDid: 'did:plc:labeler' }
const a = (status: number, error?: string, message?: string) => ({ status, error, message })

test('queryEvents answers', () => {
  const kind = (status: number, error?: string, message?: string) =>
    queryFailure(a(status, error, message), ctx).kind
  assert.equal(kind(400, 'ExpiredToken', 'Token has expired'), 'session')
  assert.equal(kind(401, 'InvalidToken', 'Token could not be verified'), 'session')
  assert.equal(kind(502, 'UpstreamFailure', 'Upstream service unreachable'), 'retry')
  assert.equal(kind(503), 'retry')
  assert.equal(kind(429, 'RateLimitExceeded'), 'retry')
  assert.equal(kind(400, 'InvalidRequest', 'Malformed cursor'), 'fatal')
  assert.equal(
    kind(400, 'InvalidRequest', 'Invalid tools.ozone.moderation.queryEvents params: integer too big'),
    'fatal',
  )
  const notLabeler = queryFailure(a(400, 'InvalidRequest', 'could not resolve proxy did service url'), ctx)
  assert.equal(notLabeler.kind, 'config')
  assert.match(
    notLabeler.kind === 'config' ? notLabeler.problem : '',
    /--labeler-did .*did:plc:labeler is not a labeler/,
  )
  const unknown = queryFailure(a(400, 'InvalidRequest', 'could not resolve proxy did'), ctx)
  assert.match(unknown.kind === 'config' ? unknown.problem : '', /cannot resolve did:plc:labeler/)
  const notMod = queryFailure(a(401, 'AuthenticationRequired', 'not a moderator account'), ctx)
  assert.match(notMod.kind === 'config' ? notMod.problem : '', /--identifier .*mod\.example may not read/)
  assert.equal(kind(404, 'MethodNotImplemented'), 'config')
})

test('login and refresh answers', () => {
  assert.equal(
    loginFailure(a(401, 'AuthenticationRequired', 'Invalid identifier or password'), ctx).kind,
    'config',
  )
  assert.equal(loginFailure(a(400, 'AccountTakedown'), ctx).kind, 'config')
  assert.equal(loginFailure(a(500), ctx).kind, 'retry')
  assert.equal(loginFailure(a(404), ctx).kind, 'config')
  assert.equal(refreshFailure(a(400, 'ExpiredToken')).kind, 'session')
  assert.equal(refreshFailure(a(400, 'InvalidToken')).kind, 'session')
  assert.equal(refreshFailure(a(502)).kind, 'retry')
})
