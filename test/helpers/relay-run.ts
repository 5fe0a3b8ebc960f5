// The common shape of a relay-mode test: serve frames from a loopback relay, run atkafka from
// the start of its window into a fresh topic until the cursor reaches a seq, stop (draining
// to Kafka). The stopped app still answers metric() queries; the relay keeps its connection log.
import { type FakeRelay, type FakeRelayOptions, startFakeRelay } from './fake-relay.ts'
import { createTopic, uniqueTopic } from './kafka.ts'
import { type RunningApp, startApp, waitFor } from './run-app.ts'

export interface RelayReplay {
  readonly run: RunningApp
  readonly relay: FakeRelay
  readonly topic: string
}

export async function replayThroughAtkafka(options: {
  readonly relay: FakeRelayOptions
  /** wait until atkafka_cursor_seq reaches this */
  readonly untilCursor: number
  readonly args?: readonly string[]
  readonly env?: Record<string, string>
  readonly partitions?: number
  readonly topicPrefix?: string
}): Promise<RelayReplay> {
  const relay = await startFakeRelay(options.relay)
  const topic = uniqueTopic(options.topicPrefix ?? 'relay')
  try {
    await createTopic(topic, options.partitions ?? 1)
    const run = await startApp(
      'relay',
      ['--relay-host', relay.url, '--cursor', '0', '--output-topic', topic, ...(options.args ?? [])],
      options.env,
    )
    try {
      await waitFor(
        async () => (await run.metric('atkafka_cursor_seq')) === options.untilCursor,
        `cursor at ${options.untilCursor}`,
      )
    } finally {
      await run.stop()
    }
    return { run, relay, topic }
  } finally {
    await relay.close()
  }
}
