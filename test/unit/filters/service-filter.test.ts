import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../../src/cli/commands.ts'
import { ConfigError } from '../../../src/errors.ts'
import {
  createServiceFilter,
  createServiceMatcher,
  validateServicePattern,
} from '../../../src/filters/service-filter.ts'

test('a pattern matches its host and every subdomain; *.x and x alike; nothing else', () => {
  const m = createServiceMatcher(['*.bsky.network', 'pds.example.com'])
  assert.equal(m('morel.us-east.host.bsky.network'), true)
  assert.equal(m('bsky.network'), true)
  assert.equal(m('BSKY.network'), true)
  assert.equal(m('pds.example.com'), true)
  assert.equal(m('a.pds.example.com'), true)
  assert.equal(m('notbsky.network'), false)
  assert.equal(m('example.com'), false)
  assert.equal(m('bsky.network.evil.com'), false)
  assert.equal(m('localhost'), false)
})

test('matched keeps only matching hosts (and skips accounts without a PDS); ignored is the reverse', () => {
  const matched = createServiceFilter({ matched: ['*.bsky.network'], ignored: [] })!
  assert.equal(matched('x.host.bsky.network'), 'keep')
  assert.equal(matched('pds.other.org'), 'skip')
  assert.equal(matched(undefined), 'skip')
  const ignored = createServiceFilter({ matched: [], ignored: ['*.bsky.network'] })!
  assert.equal(ignored('x.host.bsky.network'), 'skip')
  assert.equal(ignored('pds.other.org'), 'keep')
  assert.equal(ignored(undefined), 'keep')
  assert.equal(createServiceFilter({ matched: [], ignored: [] }), undefined)
  assert.throws(() => createServiceFilter({ matched: ['a.b'], ignored: ['c.d'] }), ConfigError)
})

test('patterns that are not host names are refused', () => {
  for (const bad of ['', '*.', 'a.*.b', '*bsky.network', 'https://bsky.network', 'host:443', 'a..b']) {
    assert.ok(validateServicePattern(bad), `${JSON.stringify(bad)} refused`)
  }
  for (const good of ['*.bsky.network', 'bsky.network', 'localhost', 'pds-1.example.com']) {
    assert.equal(validateServicePattern(good), undefined)
  }
})

test('config: MATCHED_ and WATCHED_ spellings, both lists given is an error naming both, bad patterns named', () => {
  const base = { ATKAFKA_BOOTSTRAP_SERVERS: 'k:9092' }
  assert.deepEqual(
    loadConfig('relay', [], { ...base, ATKAFKA_WATCHED_SERVICES: '*.bsky.network, pds.x.org' })
      .matchedServices,
    ['*.bsky.network', 'pds.x.org'],
  )
  assert.deepEqual(loadConfig('tap', ['--watched-services', 'a.org'], base).matchedServices, ['a.org'])
  assert.deepEqual(loadConfig('relay', [], { ...base, ATKAFKA_MATCHED_SERVICES: 'a.org' }).matchedServices, [
    'a.org',
  ])
  assert.throws(
    () =>
      loadConfig('relay', [], {
        ...base,
        ATKAFKA_MATCHED_SERVICES: 'a.org',
        ATKAFKA_IGNORED_SERVICES: 'b.org',
      }),
    (err: ConfigError) =>
      err.problems.some(
        (p) => p.includes('ATKAFKA_MATCHED_SERVICES') && p.includes('ATKAFKA_IGNORED_SERVICES'),
      ),
  )
  assert.throws(
    () => loadConfig('relay', ['--ignored-services', 'https://x.org', '--plc-host', 'ftp://plc'], base),
    (err: ConfigError) =>
      err.problems.some((p) => p.includes('--ignored-services')) &&
      err.problems.some((p) => p.includes('--plc-host')),
  )
  const c = loadConfig('relay', ['--plc-host', 'http://localhost:2582/'], base)
  assert.equal(c.plcHost, 'http://localhost:2582')
  assert.equal(c.serviceFilterOnError, 'open')
  // eventMetadata: on in relay mode and off in Tap mode by default, as the Go original did
  assert.equal(c.eventMetadata, true)
  assert.equal(loadConfig('tap', [], base).eventMetadata, false)
  assert.equal(loadConfig('relay', ['--event-metadata=false'], base).eventMetadata, false)
})
