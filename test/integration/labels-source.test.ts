// The labels source against labeler stand-ins registered on the real local PLC (their DID
// documents name their endpoint and #atproto_label key) serving labels signed by Ozone's own
// signLabel: a genuine labeler's labels come through verified, negations and expirations as
// sent; labels signed by another key, and labels naming another labeler as src, come through
// refused (counted), never as verified; one seq per labeler, resumed without gap or repeat; a
// labeler that is down holds up none of the others.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { createMetrics } from '../../src/app-metrics.ts'
import type { AtprotoEvent, LabelEvent } from '../../src/events/atproto-event.ts'
import { createLogger } from '../../src/logging/logger.ts'
import {
  createLabelsSource,
  type LabelsPosition,
  type LabelsSource,
} from '../../src/sources/labels/labels-source.ts'
import { type LabelerStandIn, startLabelerStandIn } from '../helpers/labeler-stand-in.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'

const SUBJECT = 'did:plc:subjectsubjectsubjectsu'
const quiet = () => createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }))

function open(pds: LocalPds, labelers: readonly string[]) {
  const metrics = createMetrics()
  const source = createLabelsSource(
    {
      labelers,
      labelerHost: '',
      plcHost: pds.plcUrl,
      keyRefreshMs: 60_000,
      from: 'beginning',
      resolveTimeoutMs: 5_000,
      maxLabels: 1000,
      maxBodyBytes: 1024 * 1024,
      onFutureCursor: 'stop',
      onOutdatedCursor: 'continue',
      reconnectMinMs: 50,
      reconnectMaxMs: 500,
      idleTimeoutMs: 30_000,
      maxFrameBytes: 1024 * 1024,
      onOversizedFrame: 'skip',
    },
    { metrics, logger: quiet() },
  )
  return { source, metrics }
}

/** the source's label events until `count` arrived (each delivery acked), then stops it */
async function take(source: LabelsSource, count: number, after?: LabelsPosition): Promise<LabelEvent[]> {
  const controller = new AbortController()
  const got: LabelEvent[] = []
  const timer = setTimeout(() => controller.abort(), 60_000)
  try {
    for await (const delivery of source.deliveries(controller.signal, after)) {
      got.push(...delivery.events.filter((e: AtprotoEvent): e is LabelEvent => e.kind === 'label'))
      delivery.ack()
      if (got.length >= count) break
    }
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  assert.equal(got.length, count, 'every label came before the deadline')
  return got
}

describe('labels source against labeler stand-ins on the real PLC', () => {
  let pds: LocalPds
  let genuine: LabelerStandIn
  let forger: LabelerStandIn
  let impostor: LabelerStandIn
  /** a labeler whose endpoint is down the whole time */
  let down: LabelerStandIn
  before(async () => {
    pds = await startLocalPds()
    ;[genuine, forger, impostor, down] = (await Promise.all(
      [1, 2, 3, 4].map(() => startLabelerStandIn(pds.plcUrl)),
    )) as [LabelerStandIn, LabelerStandIn, LabelerStandIn, LabelerStandIn]
    await down.close()
  })
  after(async () => {
    await Promise.all([genuine, forger, impostor].map((s) => s?.close()))
    await pds?.stop()
  })

  test('genuine labels verified and carried exactly; forged signatures and foreign src refused, counted; resumed per labeler', async () => {
    const post = `at://${SUBJECT}/app.bsky.feed.post/3l2s5xxv2ze2c`
    const sent = await genuine.publish([
      { uri: post, cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', val: 'spam' },
      { uri: SUBJECT, val: '!hide', exp: '2099-01-01T00:00:00.000Z' },
      {
        uri: post,
        cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
        val: 'spam',
        neg: true,
      },
    ])
    await forger.publish(
      [
        { uri: SUBJECT, val: 'porn' },
        { uri: post, val: 'gore' },
      ],
      { signWith: 'another key' },
    )
    await impostor.publish(
      [
        { uri: SUBJECT, val: '!takedown' },
        { uri: post, val: 'spam' },
      ],
      { src: genuine.did },
    )

    // the labeler that is down (reconnecting with backoff all along) holds up none of the others
    const { source, metrics } = open(pds, [down.did, genuine.did, forger.did, impostor.did])
    const labels = await take(source, 7)
    const of = (labeler: string) => labels.filter((l) => l.labeler === labeler)

    const mine = of(genuine.did)
    assert.equal(mine.length, 3)
    assert.deepEqual(
      mine.map((l) => l.refused),
      [undefined, undefined, undefined],
      'verified',
    )
    assert.deepEqual(
      mine.map((l) => JSON.parse(JSON.stringify(l.label))),
      sent,
      'each label exactly as the labeler sent it (cid, exp, neg, sig)',
    )
    assert.deepEqual(
      mine.map((l) => [l.did, l.val, l.neg]),
      [
        [SUBJECT, 'spam', false],
        [SUBJECT, '!hide', false],
        [SUBJECT, 'spam', true],
      ],
    )
    assert.deepEqual(
      of(forger.did).map((l) => l.refused?.reason),
      ['invalid_signature', 'invalid_signature'],
    )
    assert.deepEqual(
      of(impostor.did).map((l) => l.refused?.reason),
      ['wrong_src', 'wrong_src'],
    )
    const snapshot = metrics.snapshot()
    assert.equal(snapshot.dropped.invalid_signature, 2)
    assert.equal(snapshot.dropped.wrong_src, 2)
    assert.deepEqual(source.checkpoint(), {
      [down.did]: 0,
      [genuine.did]: 3,
      [forger.did]: 2,
      [impostor.did]: 2,
    })
    assert.equal(source.labelers()[0]!.connected, false)

    // resumed from the saved position: only what came after, from each labeler
    const position = source.checkpoint()
    await genuine.publish([{ uri: SUBJECT, val: 'rude' }])
    await forger.publish([{ uri: SUBJECT, val: 'rude' }], { signWith: 'own key' })
    const again = open(pds, [genuine.did, forger.did, impostor.did])
    const more = await take(again.source, 2, position)
    assert.deepEqual(
      more.map((l) => [l.labeler, l.seq, l.val, l.refused]).sort(),
      [
        [forger.did, 3, 'rude', undefined],
        [genuine.did, 4, 'rude', undefined],
      ].sort(),
    )
    assert.equal(genuine.server.connections.at(-1)?.cursor, '3')
    assert.equal(forger.server.connections.at(-1)?.cursor, '2')
  })
})
