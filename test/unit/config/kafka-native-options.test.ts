// The options of issue #15: --format, --record-headers, --topic-routes (and the names it must
// not take), --topic-routes-max-topics, tail's --topics; bad values are configuration errors.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../src/cli/commands.ts'
import { base, problems } from './config-problems.ts'

describe('Kafka-native output options', () => {
  test('--format: standard by default; --osprey-compatible is the osprey format', () => {
    assert.equal(loadConfig('relay', [], base).outputFormat, 'standard')
    assert.equal(loadConfig('relay', ['--format', 'jetstream'], base).outputFormat, 'jetstream')
    assert.equal(loadConfig('tap', [], { ...base, ATKAFKA_FORMAT: 'osprey' }).outputFormat, 'osprey')
    assert.equal(loadConfig('relay', ['--osprey-compatible'], base).outputFormat, 'osprey')
    assert.deepEqual(problems(['--format', 'avro']), [
      '--format / ATKAFKA_FORMAT: expected one of standard, osprey, jetstream, got "avro"',
    ])
  })

  test('jetstream refuses the Osprey envelope and eventMetadata', () => {
    const got = problems(['--format', 'jetstream', '--osprey-compatible', '--event-metadata'])
    assert.equal(got.length, 2)
    assert.match(got[0]!, /^--format \/ ATKAFKA_FORMAT and --osprey-compatible .*: one format only/)
    assert.match(
      got[1]!,
      /^--format \/ ATKAFKA_FORMAT and --event-metadata .*: Jetstream’s events have no eventMetadata/,
    )
    // relay's default eventMetadata (the Go original's) is off with jetstream; a given one is refused
    assert.equal(loadConfig('relay', ['--format', 'jetstream'], base).eventMetadata, false)
    assert.equal(loadConfig('relay', [], base).eventMetadata, true)
    assert.match(
      problems(['--format', 'jetstream'], { ...base, ATKAFKA_EVENT_METADATA: 'true' })[0]!,
      /Jetstream’s events have no eventMetadata/,
    )
    // a service filter is fine
    assert.equal(
      loadConfig('relay', ['--format', 'jetstream', '--matched-services', 'bsky.network'], base).outputFormat,
      'jetstream',
    )
  })

  test('--record-headers: all by default, none, or a list of names', () => {
    assert.equal(loadConfig('relay', [], base).recordHeaders, 'all')
    assert.deepEqual(loadConfig('relay', ['--record-headers', 'none'], base).recordHeaders, [])
    assert.deepEqual(
      loadConfig('tap', [], { ...base, ATKAFKA_RECORD_HEADERS: 'collection, action' }).recordHeaders,
      ['collection', 'action'],
    )
    assert.deepEqual(problems(['--record-headers', 'collection,nope', '--format', 'jetstream']), [
      '--record-headers / ATKAFKA_RECORD_HEADERS: expected all, none or header names (kind, did, collection, action, rev, seq, op-index, tap-id, ozone-id, src, val, neg, format), got "collection,nope"',
    ])
    assert.match(problems(['--record-headers', 'all,kind'])[0]!, /all and none stand alone/)
  })

  test('--topic-routes: parsed once; empty routes nothing', () => {
    assert.equal(loadConfig('relay', [], base).topicRoutes, undefined)
    const c = loadConfig(
      'relay',
      ['--topic-routes', 'app.bsky.feed.post=posts,*=atproto.{collection},#account=acc'],
      base,
    )
    assert.deepEqual(c.topicRoutes?.literalTopics, ['posts', 'acc'])
    assert.equal(c.topicRoutes?.templates.length, 1)
    assert.equal(c.topicRoutesMaxTopics, 100)
    assert.deepEqual(
      loadConfig('tail', [], { ...base, ATKAFKA_TOPIC_ROUTES: '#sync=s' }).topicRoutes?.literalTopics,
      ['s'],
    )
  })

  test('a spec Kafka would refuse is a configuration error naming the option and every problem', () => {
    const got = problems(['--topic-routes', 'app.bsky.feed.post=po$ts,#nope=x,*'])
    assert.equal(got.length, 1)
    assert.match(
      got[0]!,
      /^--topic-routes \/ ATKAFKA_TOPIC_ROUTES: route app\.bsky\.feed\.post: invalid topic name "po\$ts".*; route #nope: unknown event kind.*; route "\*": expected selector=topic/,
    )
  })

  test('routed topics may not be the dead-letter or cursor topic, nor collide with a topic in . versus _', () => {
    const got = problems(
      ['--topic-routes', 'a.b.c=atproto.events.dlq,#sync=atkafka-cursors,#info=atproto_events'],
      { ...base, ATKAFKA_OUTPUT_TOPIC: 'atproto.events' },
    )
    assert.deepEqual(
      got,
      [
        '--topic-routes / ATKAFKA_TOPIC_ROUTES: "atproto.events.dlq" is atkafka’s dead-letter or cursor topic',
        '--topic-routes / ATKAFKA_TOPIC_ROUTES: "atkafka-cursors" is atkafka’s dead-letter or cursor topic',
        '--topic-routes / ATKAFKA_TOPIC_ROUTES: topics "atproto.events" and "atproto_events" collide: Kafka refuses names that differ only in "." and "_"',
      ].map((p) => p.replace('atproto-events.dlq', 'atproto.events.dlq')),
    )
  })

  test('tail --topics: names and * patterns', () => {
    assert.deepEqual(loadConfig('tail', ['--topics', 'a, atproto.*'], base).tailTopics, ['a', 'atproto.*'])
    assert.deepEqual(loadConfig('tail', [], base).tailTopics, [])
    assert.match(
      problems(['--topics', 'a b'], base, 'tail')[0]!,
      /^--topics \/ ATKAFKA_TAIL_TOPICS: expected topic names/,
    )
  })
})
