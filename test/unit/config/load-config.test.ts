import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../src/cli/commands.ts'
import { base, problems } from './config-problems.ts'

describe('loadConfig', () => {
  test('defaults, the seed env names and types', () => {
    const c = loadConfig('relay', [], base)
    assert.deepEqual(c.bootstrapServers, ['localhost:9092'])
    assert.equal(c.relayHost, 'wss://bsky.network')
    assert.equal(c.outputTopic, 'atproto-events')
    assert.equal(c.ospreyCompatible, false)
    assert.deepEqual(c.metricsAddress, { host: '0.0.0.0', port: 2112 })
    assert.equal(c.cursor, undefined)
    assert.ok(Object.isFrozen(c))
  })

  test('flags win over env; env wins over defaults', () => {
    const env = { ...base, ATKAFKA_OUTPUT_TOPIC: 'from-env', ATKAFKA_OSPREY_COMPATIBLE: 'true' }
    assert.equal(loadConfig('relay', [], env).outputTopic, 'from-env')
    assert.equal(loadConfig('relay', ['--output-topic', 'from-flag'], env).outputTopic, 'from-flag')
    assert.equal(loadConfig('relay', [], env).ospreyCompatible, true)
    assert.equal(loadConfig('relay', ['--osprey-compatible=false'], env).ospreyCompatible, false)
    assert.equal(loadConfig('relay', ['--osprey-compatible'], base).ospreyCompatible, true)
  })

  test('MATCHED_ and the Go original’s WATCHED_ names both work', () => {
    assert.deepEqual(
      loadConfig('relay', [], { ...base, ATKAFKA_MATCHED_COLLECTIONS: 'app.bsky.*, fm.teal.play' })
        .matchedCollections,
      ['app.bsky.*', 'fm.teal.play'],
    )
    assert.deepEqual(
      loadConfig('relay', [], { ...base, ATKAFKA_WATCHED_COLLECTIONS: 'app.bsky.feed.post' })
        .matchedCollections,
      ['app.bsky.feed.post'],
    )
    assert.deepEqual(
      loadConfig('relay', ['--watched-collections', 'app.bsky.graph.*'], base).matchedCollections,
      ['app.bsky.graph.*'],
    )
    assert.deepEqual(loadConfig('relay', [], { ...base, METRICS_LISTEN_ADDRESS: ':6009' }).metricsAddress, {
      host: '0.0.0.0',
      port: 6009,
    })
  })

  test('every problem is reported, each naming its flag and env var', () => {
    const got = problems(['--relay-host', 'http://x', '--batch-size', 'lots'], {
      ATKAFKA_MATCHED_COLLECTIONS: 'app.bsky.*',
      ATKAFKA_IGNORED_COLLECTIONS: 'fm.teal.*',
      ATKAFKA_COMPRESSION: 'brotli',
    })
    assert.equal(got.length, 5, got.join('\n'))
    assert.match(got.join('\n'), /--bootstrap-servers \/ ATKAFKA_BOOTSTRAP_SERVERS: required/)
    assert.match(
      got.join('\n'),
      /--relay-host \/ ATKAFKA_RELAY_HOST: expected a ws:\/\/ or wss:\/\/ URL, got "http:\/\/x"/,
    )
    assert.match(got.join('\n'), /--batch-size \/ ATKAFKA_BATCH_SIZE: expected an integer/)
    assert.match(got.join('\n'), /--compression \/ ATKAFKA_COMPRESSION: .*got "brotli"/)
    assert.match(
      got.join('\n'),
      /--matched-collections \/ ATKAFKA_MATCHED_COLLECTIONS \/ ATKAFKA_WATCHED_COLLECTIONS and --ignored-collections \/ ATKAFKA_IGNORED_COLLECTIONS: give one or the other/,
    )
  })

  test('unknown flags, bad collection patterns, SASL and TLS pairs, secrets redacted', () => {
    assert.match(problems(['--no-such-flag', 'x']).join('\n'), /no-such-flag/)
    assert.match(problems(['--matched-collections', 'app.*.post']).join('\n'), /--matched-collections/)
    assert.match(
      problems(['--sasl-mechanism', 'plain']).join('\n'),
      /--sasl-username .* required with --sasl-mechanism/,
    )
    assert.match(problems(['--tls-cert-file', '/nonexistent.pem']).join('\n'), /give both or neither/)
    const secret = problems(['--sasl-mechanism', 'nope', '--sasl-password', 'hunter2']).join('\n')
    assert.doesNotMatch(secret, /hunter2/)
  })

  test('integers, ranges and the cursor', () => {
    assert.equal(loadConfig('relay', ['--cursor', '0'], base).cursor, 0)
    assert.equal(loadConfig('relay', ['--cursor', '31527015321'], base).cursor, 31527015321)
    assert.match(
      problems(['--cursor=-1']).join('\n'),
      /--cursor \/ ATKAFKA_CURSOR: expected a non-negative integer/,
    )
    assert.match(problems(['--osprey-worker-id', '1024']).join('\n'), /--osprey-worker-id/)
    assert.match(problems(['--topic-partitions', '0']).join('\n'), /must be -1 or positive/)
  })

  test('the progress line interval: 10 s by default, 0 turns it off, below 100 ms is refused', () => {
    assert.equal(loadConfig('relay', [], base).progressIntervalMs, 10_000)
    assert.equal(loadConfig('tap', [], { ...base, ATKAFKA_PROGRESS_INTERVAL_MS: '0' }).progressIntervalMs, 0)
    assert.equal(loadConfig('relay', ['--progress-interval-ms', '2500'], base).progressIntervalMs, 2500)
    assert.match(
      problems(['--progress-interval-ms', '50']).join('\n'),
      /--progress-interval-ms \/ ATKAFKA_PROGRESS_INTERVAL_MS: must be 0 \(off\) or at least 100/,
    )
  })
})
