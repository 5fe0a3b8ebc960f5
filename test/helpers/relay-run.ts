// The common shape of a relay-mode test: serve frames from a loopback relay, run atkafka from
// the start of its window into a fresh topic (startRelayRun), and for most tests run it until
// the cursor reaches a seq and stop, draining to Kafka (replayThroughAtkafka). The stopped app
// still answers metric() queries; the relay keeps its connection log.
import { type FakeRelay, type FakeRelayOptions, startFakeRelay } from './fake-relay.ts'
import { createTopic, uniqueTopic } from './kafka.ts'
import { type RunningApp, startApp, waitFor } from './run-app.ts'

export interface RelayRun extends AsyncDisposable {
  readonly run: RunningApp
  readonly relay: FakeRelay
  readonly topic: string
  /** waits until atkafka_cursor_seq reaches seq */
  untilCursor(seq: number, timeoutMs?: number): Promise<void>
}

/** A fake relay, a fresh topic and atkafka reading the relay from seq 0 into it. */
export async function startRelayRun(options: {
  readonly relay: FakeRelayOptions
  /** more flags; a function gets the topic (e.g. to name a cursor topic after it) */
  readonly args?: readonly string[] | ((topic: string) => readonly string[])
  readonly env?: Record<string, string>
  readonly partitions?: number
  readonly topicConfigs?: Record<string, string>
  readonly topicPrefix?: string
}): Promise<RelayRun> {
  const relay = await startFakeRelay(options.relay)
  const topic = uniqueTopic(options.topicPrefix ?? 'relay')
  try {
    await createTopic(topic, options.partitions ?? 1, options.topicConfigs)
    const args = typeof options.args === 'function' ? options.args(topic) : (options.args ?? [])
    const run = await startApp(
      'relay',
      ['--relay-host', relay.url, '--cursor', '0', '--output-topic', topic, ...args],
      options.env,
    )
    return {
      run,
      relay,
      topic,
      untilCursor: (seq, timeoutMs) =>
        waitFor(async () => (await run.metric('atkafka_cursor_seq')) === seq, `cursor at ${seq}`, timeoutMs),
      async [Symbol.asyncDispose]() {
        await run[Symbol.asyncDispose]()
        await relay.close()
      },
    }
  } catch (err) {
    await relay.close()
    throw err
  }
}

export interface RelayReplay {
  readonly run: RunningApp
  readonly relay: FakeRelay
  readonly topic: string
}

export async function replayThroughAtkafka(options: {
  readonly relay: FakeRelayOptions
  /** wait until atkafka_cursor_seq reaches this */
  readonly untilCursor: number
  readonly args?: readonly string[] | ((topic: string) => readonly string[])
  readonly env?: Record<string, string>
  readonly partitions?: number
  readonly topicPrefix?: string
}): Promise<RelayReplay> {
  const started = await startRelayRun(options)
  const { run, relay, topic } = started
  try {
    await started.untilCursor(options.untilCursor)
    await run.stop()
    return { run, relay, topic }
  } finally {
    await started[Symbol.asyncDispose]()
  }
}
