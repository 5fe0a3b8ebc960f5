// kill -9 in the middle of a routed exactly-once run: the recorded corpus replayed many times
// with fresh seqs, routed to 9 topics (fixed routes, {collection} topics created on the fly,
// identity and account topics), atkafka SIGKILLed at random points and restarted. Read back by
// the Java client with read_committed: every op and event is in exactly one topic, the one it is
// routed to, once — nothing lost or doubled in any topic.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/cli/commands.ts'
import { createTopicRouter } from '../../src/sink/topic-router.ts'
import { readCorpusFrames } from '../helpers/corpus.ts'
import {
  atkafkaChildren,
  CORPUS_FRAMES,
  compareOps,
  killAtRandomPoints,
  readTopicJava,
  relayChildArgs,
  savedCursor,
} from '../helpers/delivery.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { resequenced } from '../helpers/frame-tools.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { waitFor } from '../helpers/run-app.ts'

const PASSES = Number(process.env.ATKAFKA_ROUTED_KILL_PASSES ?? 200)
const KILLS = Number(process.env.ATKAFKA_ROUTED_KILL_KILLS ?? 4)

interface Value {
  did: string
  seq: number
  operation?: { collection: string }
  identity?: unknown
  account?: unknown
}

describe('kill -9 during a routed exactly-once run', () => {
  test(`${KILLS} SIGKILLs, restarted each time: every topic holds exactly its events, once, for read_committed`, async (t) => {
    const count = PASSES * CORPUS_FRAMES
    const children = atkafkaChildren(t)
    await using relay = await startFakeRelay({
      frames: resequenced(readCorpusFrames(), count, 1),
      ratePerSecond: Math.max(1000, Math.floor(count / 10)),
    })
    const topic = uniqueTopic('rkill')
    await createTopic(topic, 4)
    const spec = [
      `app.bsky.feed.like=${topic}.likes`,
      `app.bsky.feed.post=${topic}.posts`,
      `*=${topic}.c.{collection}`,
      `#identity=${topic}.identity`,
      `#account=${topic}.account`,
    ].join(',')
    const args = [
      ...relayChildArgs({ relayUrl: relay.url, topic, exactlyOnce: true }),
      '--topic-routes',
      spec,
      '--topic-partitions',
      '2',
      '--metrics-address',
      '127.0.0.1:0',
    ]
    const cursor = () => savedCursor(topic, 'READ_COMMITTED')
    await killAtRandomPoints({ children, relay, args, kills: KILLS, count, cursor })
    const last = children.start(args)
    await waitFor(async () => (await cursor()) === count, 'cursor at the last seq', 180_000)
    assert.equal(await children.stop(last), 0, 'the last run stops cleanly')

    const config = loadConfig('relay', ['--topic-routes', spec], { ATKAFKA_BOOTSTRAP_SERVERS: 'x:1' })
    const route = createTopicRouter(config.topicRoutes, { defaultTopic: topic })
    const topics = [
      topic,
      `${topic}.likes`,
      `${topic}.posts`,
      `${topic}.identity`,
      `${topic}.account`,
      ...[
        'app.bsky.feed.repost',
        'app.bsky.graph.follow',
        'app.bsky.graph.block',
        'app.bsky.actor.status',
        'fm.teal.alpha.actor.status',
      ].map((c) => `${topic}.c.${c}`),
    ]
    const all: string[] = []
    const perTopic: string[] = []
    const identityOrAccount = new Map<string, number>()
    for (const name of topics) {
      const values = await readTopicJava(name, 'read_committed')
      perTopic.push(`${name}: ${values.length}`)
      for (const raw of values) {
        const v = JSON.parse(raw) as Value
        const kind = v.operation ? 'operation' : v.identity ? 'identity' : v.account ? 'account' : '?'
        // in the topic its route names, and no other
        assert.equal(route({ kind, collection: v.operation?.collection }), name, raw.slice(0, 200))
        if (kind === 'identity' || kind === 'account') {
          const k = `${kind} ${v.seq}`
          identityOrAccount.set(k, (identityOrAccount.get(k) ?? 0) + 1)
        }
      }
      all.push(...values)
    }
    // what the kills left behind: aborted transactions, which a read_uncommitted reader sees too
    let uncommitted = 0
    for (const name of topics) {
      const read = await readTopic(name, {
        count: 1_000_000,
        timeoutMs: 30_000,
        idleMs: 2000,
        isolation: 'READ_UNCOMMITTED',
      })
      uncommitted += read.length
    }
    assert.ok(uncommitted > all.length, 'the kills left no aborted transaction behind: nothing was tested')
    process.stderr.write(
      `routed kill -9 test: ${count} frames, ${KILLS} kills; read_committed: ${perTopic.join(', ')}; read_uncommitted: ${uncommitted} in all\n`,
    )
    const result = compareOps(all, count)
    const resumed = `resumed from: ${relay.connections.map((c) => c.cursor ?? '-').join(' ')}`
    assert.deepEqual(
      { lost: result.lost, duplicated: result.duplicated },
      { lost: 0, duplicated: 0 },
      `${result.examples.join('\n')}\n${resumed}`,
    )
    assert.equal(result.read, count)
    // the identity and account events: one each per pass over the corpus, never twice
    assert.equal(identityOrAccount.size, 2 * PASSES)
    assert.ok([...identityOrAccount.values()].every((n) => n === 1))
    // the output topic gets nothing: every kind in the corpus is routed
    assert.equal(perTopic[0], `${topic}: 0`)
    assert.equal(relay.connections.length, KILLS + 1)
    for (const c of relay.connections.slice(1)) assert.match(c.cursor ?? '', /^\d+$/)
  })
})
