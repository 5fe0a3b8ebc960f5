// The backfill planner against a real PDS (listRepos, its firehose for the seq) and PLC (DID
// documents), writing to the real broker: one item per repo, a second run adds nothing, a run
// stopped mid-plan goes on where it stopped.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import pino from 'pino'
import { createListPage, createResolvePds } from '../../src/backfill/listing.ts'
import { type PlanState, planStateCodec } from '../../src/backfill/plan-state.ts'
import { type PlanSource, runPlan } from '../../src/backfill/planner.ts'
import { decodeWorkItem, type WorkItem } from '../../src/backfill/work-item.ts'
import { createKafkaCursorStore } from '../../src/cursor/kafka-cursor-store.ts'
import type { KafkaConfig } from '../../src/kafka/kafka-client-options.ts'
import { createCurrentSeq } from '../../src/sources/relay/current-seq.ts'
import { makeProducer, populate } from '../helpers/backfill-world.ts'
import { readTopicJava } from '../helpers/delivery.ts'
import { brokerEnv, createTopic, uniqueTopic } from '../helpers/kafka.ts'
import { type LocalPds, startLocalPds } from '../helpers/local-pds.ts'
import { PdsClient, type Session } from '../helpers/pds-client.ts'

describe('backfill planner', () => {
  let pds: LocalPds
  let sessions: Session[]
  before(async () => {
    pds = await startLocalPds()
    ;({ sessions } = await populate(new PdsClient(pds.pdsUrl), 12, () => 1))
  })
  after(async () => {
    await pds?.stop()
  })

  const logger = pino({ level: 'silent' })
  const kafka = {
    bootstrapServers: [brokerEnv().bootstrap],
    clientId: 'plan-test',
    tls: false,
  } as unknown as KafkaConfig

  async function planner(workTopic: string, cursorTopic: string, planId: string) {
    const producer = makeProducer()
    const state = createKafkaCursorStore<PlanState>(
      { kafka, topic: cursorTopic, producer },
      { sourceId: planId, upstream: 'test' },
      planStateCodec,
    )
    return {
      producer,
      state,
      run: (
        source: PlanSource,
        signal = new AbortController().signal,
        extra: { pageSize?: number; seq?: boolean } = {},
      ) =>
        runPlan(
          source,
          { workTopic, pageSize: extra.pageSize ?? 5, resolveConcurrency: 4 },
          {
            producer,
            state,
            listPage: createListPage(),
            resolvePds: createResolvePds(pds.plcUrl),
            ...(extra.seq ? { currentSeq: createCurrentSeq(pds.pdsUrl, 20_000) } : {}),
            logger,
          },
          signal,
        ),
    }
  }

  async function items(topic: string): Promise<WorkItem[]> {
    return (await readTopicJava(topic, 'read_committed')).map((v) => {
      const item = decodeWorkItem(Buffer.from(v))
      assert.ok(typeof item !== 'string', item as string)
      return item
    })
  }

  async function topics() {
    const work = uniqueTopic('plan-work')
    const cursor = uniqueTopic('plan-cursor')
    await createTopic(work, 4)
    await createTopic(cursor, 1, { 'cleanup.policy': 'compact' })
    return { work, cursor }
  }

  test("a PDS's listRepos: one item per account, the PDS as its host; run again, nothing is added", async () => {
    const t = await topics()
    const p = await planner(t.work, t.cursor, `plan-${randomUUID()}`)
    try {
      const first = await p.run({ kind: 'hosts', hosts: [pds.pdsUrl] })
      assert.equal(first.ran, true)
      assert.equal(first.state.complete, true)
      const again = await p.run({ kind: 'hosts', hosts: [pds.pdsUrl] })
      assert.equal(again.ran, false)
      const planned = await items(t.work)
      for (const s of sessions) assert.equal(planned.filter((i) => i.did === s.did).length, 1, s.did)
      for (const i of planned) assert.equal(i.pds, pds.pdsUrl)
      assert.equal(first.state.planned, planned.length)
    } finally {
      await p.producer.close()
    }
  })

  test('DIDs resolved through the PLC; a run stopped after a page goes on from the next one', async () => {
    const t = await topics()
    const planId = `plan-${randomUUID()}`
    const dids = [...sessions.map((s) => s.did), 'did:plc:cccccccccccccccccccccccc']
    const stop = new AbortController()
    const p = await planner(t.work, t.cursor, planId)
    const save = p.state.save.bind(p.state)
    p.state.save = async (state) => {
      await save(state)
      if (state.planned > 0) stop.abort() // as if killed right after the first page
    }
    try {
      const first = await p.run({ kind: 'dids', dids }, stop.signal, { pageSize: 4 })
      assert.equal(first.state.complete, false)
      assert.equal(first.state.planned, 4)
      p.state.save = save
      const rest = await p.run({ kind: 'dids', dids }, new AbortController().signal, { pageSize: 4 })
      assert.equal(rest.state.complete, true)
      assert.equal(rest.state.planned, sessions.length)
      assert.equal(rest.state.skipped, 1, 'the unknown DID')
      const planned = await items(t.work)
      assert.deepEqual(planned.map((i) => i.did).sort(), sessions.map((s) => s.did).sort())
      for (const i of planned) assert.equal(i.pds, pds.pdsUrl)
    } finally {
      await p.producer.close()
    }
  })

  test('planning from a relay notes its seq first, and it is a seq the firehose has', async () => {
    const t = await topics()
    const p = await planner(t.work, t.cursor, `plan-${randomUUID()}`)
    const client = new PdsClient(pds.pdsUrl)
    // keep the firehose moving so that the seq is seen
    const writer = setInterval(() => {
      void client.createRecord(sessions[0]!, 'app.bsky.feed.post', {
        text: 'tick',
        createdAt: new Date().toISOString(),
      })
    }, 300)
    try {
      const result = await p.run(
        { kind: 'relay', relay: pds.pdsUrl, collections: [] },
        new AbortController().signal,
        { seq: true },
      )
      assert.ok(result.state.liveSeq !== undefined && result.state.liveSeq > 0)
      assert.equal(result.state.planned, sessions.length)
      assert.deepEqual((await p.state.load())?.liveSeq, result.state.liveSeq)
    } finally {
      clearInterval(writer)
      await p.producer.close()
    }
  })
})
