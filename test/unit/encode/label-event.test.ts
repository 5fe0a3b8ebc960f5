// A label event in the output: the standard value (the label exactly as sent, keyed by its
// subject), the Osprey envelope (action_name `label`, an event-derived id from the labeler's
// seq and the label's index), the headers (kind, did, src, val, neg, seq), both validated
// against docs/schemas; a refused label becomes a dead-letter record naming the reason.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesWrapper, decode, encode } from '@atcute/cbor'
import { createMetrics } from '../../../src/app-metrics.ts'
import { loadConfig } from '../../../src/cli/commands.ts'
import { encodeEvent } from '../../../src/encode/encode-event.ts'
import { identityBits } from '../../../src/encode/event-action-id.ts'
import { headerStrings, recordHeaders } from '../../../src/encode/record-headers.ts'
import { createSnowflake } from '../../../src/encode/snowflake.ts'
import type { LabelEvent } from '../../../src/events/atproto-event.ts'
import { createLogger } from '../../../src/logging/logger.ts'
import { parseTopicRoutes } from '../../../src/output/topic-routes.ts'
import { createRoutedOutput } from '../../../src/sink/routed-output.ts'
import { createTopicRouter } from '../../../src/sink/topic-router.ts'
import { labelsFrameDecoder } from '../../../src/sources/labels/labels-frame.ts'
import { assertValid, schemaErrors } from '../../helpers/output-schemas.ts'

const LABELER = 'did:plc:labelerlabelerlabelerla'
const SUBJECT = 'did:plc:subjectsubjectsubjectsu'
const sig = new BytesWrapper(new Uint8Array(64).fill(9))

function events(): LabelEvent[] {
  const labels = [
    {
      ver: 1,
      src: LABELER,
      uri: `at://${SUBJECT}/app.bsky.feed.post/3l2s5xxv2ze2c`,
      cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
      val: 'spam',
      cts: '2026-12-07T09:00:00.000Z',
      sig,
    },
    {
      ver: 1,
      src: LABELER,
      uri: SUBJECT,
      val: '!hide',
      neg: true,
      cts: '2026-12-07T09:00:01.000Z',
      exp: '2027-01-01T00:00:00.000Z',
      sig,
    },
  ]
  const frame = new Uint8Array(Buffer.concat([encode({ op: 1, t: '#labels' }), encode({ seq: 77, labels })]))
  return labelsFrameDecoder(LABELER, { maxLabels: 10, maxBodyBytes: 1 << 20 })(frame, () => '')
    .events as LabelEvent[]
}

test('standard and Osprey values of labels validate against their schemas and carry each label exactly', () => {
  const snowflake = createSnowflake({ workerId: 1 })
  const [post, account] = events()
  for (const e of [post!, account!]) {
    const standard = JSON.parse(encodeEvent(e, { format: 'standard', snowflake }).value.toString())
    assertValid('label', [standard])
    assert.equal(standard.did, SUBJECT)
    assert.equal(standard.seq, 77)
    assert.equal(standard.labeler, LABELER)
    assert.deepEqual(standard.label, JSON.parse(JSON.stringify(decode(encode(e.label)))))
    const osprey = JSON.parse(encodeEvent(e, { format: 'osprey', snowflake }).value.toString())
    assertValid('label-osprey-envelope', [osprey])
    assert.equal(osprey.data.action_name, 'label')
    assert.deepEqual(osprey.data.data, standard)
  }
  assert.equal(
    JSON.parse(encodeEvent(account!, { format: 'standard', snowflake }).value.toString()).label.neg,
    true,
  )
  // what a consumer must not be handed as a verified label
  const unsigned = JSON.parse(encodeEvent(post!, { format: 'standard', snowflake }).value.toString())
  delete unsigned.label.sig
  assert.ok(schemaErrors('label', unsigned).length > 0)
  // event-derived Osprey ids tell the labels of one frame apart
  assert.notEqual(identityBits(post!), identityBits(account!))
})

test('headers: kind, the subject, src, val, neg and the labeler seq', () => {
  const [post, account] = events()
  assert.deepEqual(headerStrings(recordHeaders(post!, 'standard')), [
    ['kind', 'label'],
    ['did', SUBJECT],
    ['src', LABELER],
    ['val', 'spam'],
    ['neg', 'false'],
    ['seq', '77'],
    ['format', 'standard/v1'],
  ])
  assert.deepEqual(new Map(headerStrings(recordHeaders(account!, 'osprey'))).get('neg'), 'true')
})

test('#label routes labels to their topic; a refused label goes to the dead-letter topic with its reason, never there', () => {
  const output = createRoutedOutput(
    {
      outputTopic: 'out',
      outputFormat: 'standard',
      recordHeaders: 'all',
      topicRoutes: parseTopicRoutes(['#label=labels']).routes,
      topicRoutesMaxTopics: 10,
      deadLetterTopic: 'out.dlq',
      cursorTopic: 'cursors',
      maxMessageBytes: 1 << 20,
    },
    { snowflake: createSnowflake({ workerId: 1 }), metrics: createMetrics(), logger: createLogger('error') },
  )
  const [post] = events()
  const ok = output.encode(post!)
  assert.equal(ok.topic, 'labels')
  assert.equal(ok.key, SUBJECT)
  const refused = output.encode({
    ...post!,
    refused: { reason: 'invalid_signature', detail: 'sig is not the labeler key’s' },
  })
  assert.equal(refused.topic, 'out.dlq')
  assert.equal(refused.key, SUBJECT)
  const dead = JSON.parse(refused.value.toString())
  assert.equal(dead.reason, 'invalid_signature')
  assert.equal(dead.detail, 'sig is not the labeler key’s')
  assert.equal(dead.topic, 'labels')
  assert.deepEqual(JSON.parse(dead.value).label.val, 'spam')
})

test('atkafka labels takes --topic-routes (#label) and refuses the Jetstream format', () => {
  const base = { ATKAFKA_BOOTSTRAP_SERVERS: 'localhost:9092' }
  const config = loadConfig('labels', ['--labelers', LABELER, '--topic-routes', '#label=labels'], base)
  assert.equal(createTopicRouter(config.topicRoutes, { defaultTopic: 'out' })({ kind: 'label' }), 'labels')
  assert.throws(
    () => loadConfig('labels', ['--labelers', LABELER, '--format', 'jetstream'], base),
    /Jetstream has no shape for label or info events/,
  )
  assert.throws(() => loadConfig('labels', ['--labelers', 'nope'], base), /--labelers.*expected a DID/)
})
