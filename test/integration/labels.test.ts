// `atkafka labels` end to end: the real Ozone of the ozone-events tests (on PostgreSQL, its
// labeler DID on the real local PLC) serving subscribeLabels and signing labels, labeler
// stand-ins registered on the same PLC (a second genuine labeler, one signing with the wrong
// key, one serving another labeler's src), the real Kafka broker, and what it holds
// afterwards: each label once, verified again here with atproto's own libraries, carried
// exactly (negations, cid-pinned record labels); every forged label in the dead-letter topic
// with its reason, counted, none in the output; exactly once across kill -9 (read_committed).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { atkafkaChildren, childMetric, readTopicJava } from '../helpers/delivery.ts'
import { freePort } from '../helpers/free-port.ts'
import { brokerEnv, headerValue as header, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LabelerStandIn, labelSignedBySrc, startLabelerStandIn } from '../helpers/labeler-stand-in.ts'
import { assertValid } from '../helpers/output-schemas.ts'
import { repoRef } from '../helpers/ozone-driver.ts'
import { type OzoneWorld, startOzoneWorld } from '../helpers/ozone-world.ts'
import { PdsClient } from '../helpers/pds-client.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

interface LabelJson {
  ver: number
  src: string
  uri: string
  cid?: string
  val: string
  neg?: boolean
  cts: string
  exp?: string
  sig: { $bytes: string }
}
interface LabelValue {
  did: string
  timestamp: string
  seq: number
  labeler: string
  label: LabelJson
}

const identity = (l: LabelJson) => `${l.src} ${l.uri} ${l.cid ?? ''} ${l.val} ${l.neg === true} ${l.cts}`

describe('atkafka labels → Kafka (real Ozone, PLC, broker)', () => {
  let world: OzoneWorld
  let second: LabelerStandIn
  let forger: LabelerStandIn
  let impostor: LabelerStandIn
  before(async () => {
    world = await startOzoneWorld({ users: 3 })
    const stands = await Promise.all([1, 2, 3].map(() => startLabelerStandIn(world.pds.plcUrl)))
    ;[second, forger, impostor] = stands as [LabelerStandIn, LabelerStandIn, LabelerStandIn]
  })
  after(async () => {
    await Promise.all([second, forger, impostor].map((s) => s?.close()))
    await world?.stop()
  })

  test('labels applied and negated by the real Ozone and a second labeler: each once, verified, exact; forged ones dead-lettered and counted; a late subscriber gets the labels still standing', async () => {
    const mod = await world.login(world.moderator)
    const [u0, u1, u2] = world.users as [
      OzoneWorld['users'][0],
      OzoneWorld['users'][0],
      OzoneWorld['users'][0],
    ]
    const author = await world.login(u2)
    const post = await new PdsClient(world.pds.pdsUrl).createRecord(author, 'app.bsky.feed.post', {
      text: 'labelled',
      createdAt: new Date().toISOString(),
    })
    const labelers = [world.ozone.serverDid, second.did, forger.did, impostor.did]
    const forged = 4
    let secondSent: LabelJson[] = []

    // standard: subscribed while the labels are made (every label, the superseded too);
    // osprey: subscribed afterwards from the beginning (what each labeler still serves)
    for (const format of ['standard', 'osprey'] as const) {
      const topic = uniqueTopic(`labels-${format}`)
      await using run = await startApp('labels', [
        '--labelers',
        labelers.join(','),
        '--plc-host',
        world.pds.plcUrl,
        '--output-topic',
        topic,
        '--topic-partitions',
        '3',
        '--cursor-topic',
        `${topic}.cursors`,
        '--reconnect-min-ms',
        '100',
        ...(format === 'osprey' ? ['--osprey-compatible'] : []),
      ])
      const status = async () =>
        JSON.parse((await run.http('/status.json')).body) as {
          labels: { labelers: { did: string; connected: boolean; verified: number; refused: number }[] }
        }
      await waitFor(async () => {
        const { labelers: listed } = (await status()).labels
        return listed.length === labelers.length && listed.every((l) => l.connected)
      }, 'every labeler connected')
      if (format === 'standard') {
        await world.driver.label(mod, repoRef(u0.did), ['spam', 'rude'])
        await world.driver.label(mod, repoRef(u1.did), ['porn'])
        // a record label, pinned to the post's cid
        await world.driver.label(mod, { $type: 'com.atproto.repo.strongRef', uri: post.uri, cid: post.cid }, [
          'gore',
        ])
        // Ozone keeps one row per label and its stream serves rows: a negation made before the
        // label was served would replace it unseen. The negation comes once the label is in.
        const fromOzone = async () => (await status()).labels.labelers[0]!.verified
        await waitFor(async () => (await fromOzone()) >= 4, 'the four labels applied')
        await world.driver.label(mod, repoRef(u0.did), [], ['spam'])
        secondSent = (await second.publish([
          { uri: u1.did, val: '!warn', exp: '2099-01-01T00:00:00.000Z' },
          { uri: u1.did, val: '!warn', neg: true },
        ])) as unknown as LabelJson[]
        await forger.publish(
          [
            { uri: u0.did, val: '!hide' },
            { uri: post.uri, val: 'spam' },
          ],
          { signWith: 'another key' },
        )
        await impostor.publish([{ uri: u0.did, val: '!takedown' }], { src: world.ozone.serverDid })
        await impostor.publish([{ uri: u1.did, val: '!takedown' }], { src: second.did })
      }
      // Ozone keeps one row per label: a negation replaces the label it negates, so a subscriber
      // from the beginning gets -spam but no +spam
      const fromOzone =
        format === 'standard'
          ? ['+spam', '+rude', '+porn', '+gore', '-spam']
          : ['+rude', '+porn', '+gore', '-spam']
      const genuine = fromOzone.length + secondSent.length
      const produced = () => run.metric('atkafka_produced_events', { status: 'ok' })
      await waitFor(
        async () => (await produced()) >= genuine + forged,
        `every label in Kafka (${format}: ${genuine} + ${forged})`,
        60_000,
      ).catch(async (err: Error) => {
        throw new Error(
          `${err.message}; produced ${await produced()}; ${JSON.stringify((await status()).labels)}`,
        )
      })
      const messages = await readTopic(topic, { count: genuine, timeoutMs: 10_000, idleMs: 1500 })
      const values = messages.map((m) => JSON.parse(m.value.toString()) as unknown)
      assertValid(format === 'osprey' ? 'label-osprey-envelope' : 'label', values)
      const labels = values.map((v) =>
        format === 'osprey' ? (v as { data: { data: LabelValue } }).data.data : (v as LabelValue),
      )
      assert.equal(labels.length, genuine, 'each genuine label once, no forged one')
      assert.equal(new Set(labels.map((l) => identity(l.label))).size, labels.length)
      for (const [i, l] of labels.entries()) {
        assert.ok(
          await labelSignedBySrc(world.pds.plcUrl, l.label as never),
          `${identity(l.label)} verifies with atproto's own libraries`,
        )
        assert.equal(l.labeler, l.label.src)
        assert.equal(messages[i]!.key?.toString(), l.did)
        assert.equal(header(messages[i]!, 'kind'), 'label')
        assert.equal(header(messages[i]!, 'src'), l.label.src)
        assert.equal(header(messages[i]!, 'val'), l.label.val)
        assert.equal(header(messages[i]!, 'neg'), String(l.label.neg === true))
      }
      const says = (l: LabelValue) =>
        `${l.did} ${l.label.uri} ${l.label.cid ?? '-'} ${l.label.neg === true ? '-' : '+'}${l.label.val}`
      const subjectOf: Record<string, string> = {
        spam: `${u0.did} ${u0.did} -`,
        rude: `${u0.did} ${u0.did} -`,
        porn: `${u1.did} ${u1.did} -`,
        gore: `${u2.did} ${post.uri} ${post.cid}`,
      }
      assert.deepEqual(
        labels
          .filter((l) => l.labeler === world.ozone.serverDid)
          .map(says)
          .sort(),
        fromOzone.map((v) => `${subjectOf[v.slice(1)]} ${v}`).sort(),
      )
      // the second labeler's labels exactly as it sent them (exp and neg included)
      assert.deepEqual(
        labels
          .filter((l) => l.labeler === second.did)
          .map((l) => l.label)
          .sort((a, b) => a.cts.localeCompare(b.cts)),
        secondSent,
      )
      // forged: dead-lettered with the reason, counted, never in the output
      const dead = (await readTopic(`${topic}.dlq`, { count: forged, timeoutMs: 10_000 })).map(
        (m) =>
          JSON.parse(m.value.toString()) as { reason: string; detail: string; topic: string; value: string },
      )
      assert.deepEqual(dead.map((d) => d.reason).sort(), [
        'invalid_signature',
        'invalid_signature',
        'wrong_src',
        'wrong_src',
      ])
      assert.ok(dead.every((d) => d.topic === topic))
      assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'invalid_signature' }), 2)
      assert.equal(await run.metric('atkafka_dropped_events_total', { reason: 'wrong_src' }), 2)
      // the status page: one entry per labeler
      assert.deepEqual(
        (await status()).labels.labelers.map((l) => [l.did, l.verified, l.refused]),
        [
          [world.ozone.serverDid, fromOzone.length, 0],
          [second.did, 2, 0],
          [forger.did, 0, 2],
          [impostor.did, 0, 2],
        ],
      )
    }
  })

  test('exactly once: kill -9 while the Ozone backlog streams, restart; a read_committed consumer sees every label once', async (t) => {
    const topic = uniqueTopic('labels-eos')
    const count = 400
    // a backlog of labels on the real Ozone (straight at it, admin auth)
    let next = 0
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const user = world.users[i % world.users.length]!
        await world.driver.emitDirect(
          world.ozone,
          world.moderator.did,
          {
            $type: 'tools.ozone.moderation.defs#modEventLabel',
            createLabelVals: [`eos-${i}`],
            negateLabelVals: [],
          },
          repoRef(user.did),
        )
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    const children = atkafkaChildren(t, { command: ['labels'] })
    const start = async () => {
      const port = await freePort()
      const child = children.start([
        '--labelers',
        world.ozone.serverDid,
        '--plc-host',
        world.pds.plcUrl,
        '--bootstrap-servers',
        brokerEnv().bootstrap,
        '--output-topic',
        topic,
        '--topic-partitions',
        '3',
        '--cursor-topic',
        `${topic}.cursors`,
        '--exactly-once',
        '--transaction-interval-ms',
        '50',
        '--transaction-max-events',
        '20',
        '--metrics-address',
        `127.0.0.1:${port}`,
        '--log-level',
        'warn',
      ])
      return { child, port }
    }
    const producedBy = async (port: number) =>
      (await childMetric(port, 'atkafka_produced_events{status="ok"}')) ?? 0
    for (const produced of [60, 60]) {
      const run = await start()
      await waitFor(
        async () => (await producedBy(run.port)) >= produced,
        `${produced} labels in Kafka`,
        60_000,
      )
      await children.kill9(run.child)
    }
    const last = await start()
    // every label of the eos backlog, in a read_committed view
    const eosLabels = async () =>
      (await readTopicJava(topic, 'read_committed'))
        .map((v) => JSON.parse(v) as LabelValue)
        .filter((l) => l.label.val.startsWith('eos-'))
    await waitFor(async () => (await eosLabels()).length >= count, 'the whole backlog committed', 120_000)
    await sleep(500)
    assert.equal(await children.stop(last.child), 0)
    const committed = await eosLabels()
    const vals = committed.map((l) => l.label.val)
    assert.deepEqual(
      vals.filter((v, i) => vals.indexOf(v) !== i),
      [],
      'no label twice',
    )
    assert.deepEqual(new Set(vals), new Set(Array.from({ length: count }, (_, i) => `eos-${i}`)))
    for (const l of committed.slice(0, 20))
      assert.ok(await labelSignedBySrc(world.pds.plcUrl, l.label as never))
    const uncommitted = await readTopicJava(topic, 'read_uncommitted')
    process.stderr.write(
      `labels exactly-once: ${committed.length} committed, ${uncommitted.length} uncommitted records\n`,
    )
  })
})
