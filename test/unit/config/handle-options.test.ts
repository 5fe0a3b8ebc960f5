// The handle verification options: DNS servers as node:dns takes them, dev origins only under
// the reserved .test TLD (a real handle can never be checked anywhere but at its own domain).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../../src/cli/commands.ts'
import { base, problems } from './config-problems.ts'

test('--dns-servers and --dev-handle-origins: parsed, or every bad entry named', () => {
  const config = loadConfig(
    'relay',
    [
      '--dns-servers',
      '127.0.0.1:5353, 9.9.9.9,[::1]:53',
      '--dev-handle-origins',
      '.test=http://localhost:2583/,.pds2.test=http://127.0.0.2:9',
    ],
    base,
  )
  assert.deepEqual(config.dnsServers, ['127.0.0.1:5353', '9.9.9.9', '[::1]:53'])
  assert.deepEqual(config.devHandleOrigins, {
    '.test': 'http://localhost:2583',
    '.pds2.test': 'http://127.0.0.2:9',
  })
  assert.equal(config.verifyHandles, true, 'on by default, as the Go original')
  assert.deepEqual(loadConfig('relay', [], { ...base, ATKAFKA_DNS_SERVERS: '10.0.0.1' }).dnsServers, [
    '10.0.0.1',
  ])

  const got = problems([
    '--dns-servers',
    'dns.example.com,1.2.3.4:99999',
    '--dev-handle-origins',
    '.example.com=http://x,.test=ftp://y',
  ])
  assert.equal(got.length, 2, got.join('\n'))
  assert.match(got[0]!, /--dns-servers.*dns\.example\.com: expected ip/)
  assert.match(got[1]!, /--dev-handle-origins.*\.example\.com=http:\/\/x: expected \.<name>\.test=<origin>/)
})
