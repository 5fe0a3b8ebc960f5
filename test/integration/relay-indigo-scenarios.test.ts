// indigo's relay scenario sequences, encoded to wire frames, through atkafka into the real
// broker. atkafka is a records-only consumer (it does not verify signatures or the MST; see
// docs/architecture.md), so frames a verifying relay would drop (`drop: true`) pass through:
// what must hold is that every op and account/identity/sync event arrives, once, keyed by DID.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeFrame } from '../../src/sources/relay/decode-frame.ts'
import { startFakeRelay } from '../helpers/fake-relay.ts'
import { loadScenario, scenarioNames } from '../helpers/indigo-scenarios.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'

interface Out {
  did: string
  seq?: number
  operation?: { action: string; collection: string; rkey: string; cid: string }
  account?: { active: boolean; status?: string }
  identity?: { handle: string }
  sync?: { rev: string }
}

const describeOut = (e: Out) =>
  e.operation
    ? `${e.did} op ${e.operation.action} ${e.operation.collection}/${e.operation.rkey} ${e.operation.cid}`
    : e.account
      ? `${e.did} account ${e.account.active} ${e.account.status ?? ''}`
      : e.identity
        ? `${e.did} identity ${e.identity.handle}`
        : `${e.did} sync ${e.sync?.rev}`

describe('indigo relay scenarios through Kafka', () => {
  for (const name of scenarioNames()) {
    test(name, async () => {
      const scenario = loadScenario(name)
      const frames = scenario.messages.map((m) => m.frame)
      const expected: string[] = []
      for (const frame of frames) {
        for (const event of decodeFrame(frame, () => '2026-01-01T00:00:00Z').events) {
          if (event.kind === 'info' || event.kind === 'moderation' || event.kind === 'label') continue
          expected.push(
            describeOut({
              did: event.did,
              ...(event.kind === 'operation'
                ? {
                    operation: {
                      action: event.action,
                      collection: event.collection,
                      rkey: event.rkey,
                      cid: event.cid ?? '',
                    },
                  }
                : event.kind === 'account'
                  ? { account: { active: event.active, ...(event.status ? { status: event.status } : {}) } }
                  : event.kind === 'identity'
                    ? { identity: { handle: event.handle ?? '' } }
                    : { sync: { rev: event.rev } }),
            }),
          )
        }
      }
      assert.ok(expected.length > 0)
      await using relay = await startFakeRelay({ frames, startAtOldest: true })
      const topic = uniqueTopic(`indigo-${name.replaceAll('_', '-')}`)
      await createTopic(topic, 2)
      await using run = await startApp('relay', ['--relay-host', relay.url, '--output-topic', topic])
      await waitFor(
        async () => (await run.metric('atkafka_produced_events', { status: 'ok' })) >= expected.length,
        `${expected.length} events produced`,
      )
      await run.stop()
      assert.equal(
        await run.metric('atkafka_produced_events', { status: 'ok' }),
        expected.length,
        'nothing extra',
      )
      const got = (await readTopic(topic, { count: expected.length, timeoutMs: 5000 })).map((m) => {
        const e = JSON.parse(m.value.toString()) as Out
        assert.equal(m.key.toString(), e.did)
        return describeOut(e)
      })
      assert.deepEqual([...got].sort(), [...expected].sort())
    })
  }
})
