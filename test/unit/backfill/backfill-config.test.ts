// The backfill commands' configuration: what each takes, and what is refused (exit 2).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../src/cli/commands.ts'
import { base, problems } from '../config/config-problems.ts'

describe('backfill config', () => {
  test('plan needs exactly one source of repos, each checked', () => {
    assert.match(problems([], base, 'backfill-plan').join('\n'), /give exactly one/)
    assert.match(
      problems(
        ['--backfill-dids', 'did:plc:a', '--backfill-pds-hosts', 'https://x.example'],
        base,
        'backfill-plan',
      ).join('\n'),
      /give exactly one/,
    )
    assert.match(
      problems(['--backfill-dids', 'alice'], base, 'backfill-plan').join('\n'),
      /--backfill-dids.*expected a DID/,
    )
    assert.match(
      problems(['--backfill-pds-hosts', 'x.example'], base, 'backfill-plan').join('\n'),
      /--backfill-pds-hosts.*http/,
    )
    assert.match(
      problems(
        ['--backfill-dids', 'did:plc:a', '--backfill-collections', 'app.bsky.feed.post'],
        base,
        'backfill-plan',
      ).join('\n'),
      /--backfill-collections.*needs --backfill-relay-host/,
    )
    const c = loadConfig(
      'backfill-plan',
      ['--backfill-relay-host', 'https://relay.example', '--backfill-collections', 'app.bsky.feed.post'],
      base,
    )
    assert.equal(c.backfillRelayHost, 'https://relay.example')
    assert.deepEqual(c.backfillCollections, ['app.bsky.feed.post'])
    assert.equal(c.backfillWorkTopic, 'atkafka-backfill')
  })

  test('the seam: the plan’s live host and relay mode’s --backfill-seam options, each checked', () => {
    assert.match(
      problems(
        ['--backfill-dids', 'did:plc:a', '--backfill-live-host', 'relay.example'],
        base,
        'backfill-plan',
      ).join('\n'),
      /--backfill-live-host.*ws\(s\)/,
    )
    const p = loadConfig(
      'backfill-plan',
      ['--backfill-dids', 'did:plc:a', '--backfill-live-host', 'wss://relay.example'],
      base,
    )
    assert.equal(p.backfillLiveHost, 'wss://relay.example')
    assert.match(
      problems(['--backfill-seam', 'no spaces'], base, 'relay').join('\n'),
      /--backfill-seam.*topic/,
    )
    assert.match(
      problems(['--backfill-seam-max-bytes', '1000'], base, 'relay').join('\n'),
      /--backfill-seam-max-bytes/,
    )
    const r = loadConfig('relay', ['--backfill-seam', 'atkafka-backfill'], base)
    assert.equal(r.backfillSeam, 'atkafka-backfill')
    assert.equal(r.backfillSeamGroup, 'atkafka-backfill')
    assert.equal(r.backfillSeamMaxBytes, 1024 ** 3)
    assert.equal(r.backfillSeamStart, 'done', 'live once the backfill is done unless asked')
    assert.equal(
      loadConfig('relay', ['--backfill-seam', 'w', '--backfill-seam-start', 'now'], base).backfillSeamStart,
      'now',
    )
    assert.match(
      problems(['--backfill-seam-start', 'later'], base, 'relay').join('\n'),
      /--backfill-seam-start.*done, now/,
    )
    assert.equal(loadConfig('relay', [], base).backfillSeam, '', 'off unless named')
    assert.match(
      problems(['--backfill-seam', 'x'], base, 'backfill-work').join('\n'),
      /backfill-seam/,
      'a relay option only',
    )
  })

  test('work takes the output options of the live modes, not their upstream or cursor ones', () => {
    const c = loadConfig(
      'backfill-work',
      [
        '--format',
        'jetstream',
        '--matched-collections',
        'app.bsky.feed.*',
        '--backfill-host-concurrency',
        '2',
      ],
      base,
    )
    assert.equal(c.format, 'jetstream')
    assert.deepEqual(c.matchedCollections, ['app.bsky.feed.*'])
    assert.equal(c.backfillHostConcurrency, 2)
    for (const flag of [
      '--relay-host',
      '--exactly-once',
      '--cursor',
      '--event-metadata',
      '--backfill-dids',
    ]) {
      assert.ok(
        problems([flag, 'x'], base, 'backfill-work').some((p) => p.includes(flag)),
        flag,
      )
    }
  })
})
