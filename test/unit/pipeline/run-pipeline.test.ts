// runPipeline's in-flight accounting with fakes (the Kafka path is proven in the integration
// tests): events waiting in the identity stage are held at their delivery's bytes, records at
// their encoded bytes, and reading stops at either limit.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import pino from 'pino'
import { createMetrics } from '../../../src/app-metrics.ts'
import type { AtprotoEvent } from '../../../src/events/atproto-event.ts'
import { createInFlightWindow } from '../../../src/pipeline/in-flight-window.ts'
import { type PipelineStages, runPipeline } from '../../../src/pipeline/run-pipeline.ts'
import type { Delivery, OutboundRecord, ResolvedEvent, Sink, Source } from '../../../src/pipeline/types.ts'

const logger = pino({ level: 'silent' })
const event = (i: number): AtprotoEvent => ({
  kind: 'identity',
  did: 'did:plc:slow',
  seq: i,
  time: '2026-07-04T14:40:00.000Z',
})

/** a source of `count` one-event deliveries of `bytes` each; counts what was pulled */
function source(count: number, bytes: number) {
  let pulled = 0
  let acked = 0
  const src: Source = {
    connected: true,
    async *deliveries(signal: AbortSignal): AsyncGenerator<Delivery> {
      for (let i = 0; i < count && !signal.aborted; i++) {
        pulled++
        yield { events: [event(i)], bytes, ack: () => acked++ }
      }
    },
  }
  return {
    src,
    get pulled() {
      return pulled
    },
    get acked() {
      return acked
    },
  }
}

function sink(): Sink & { records: OutboundRecord[] } {
  const records: OutboundRecord[] = []
  return {
    records,
    send: async (r) => {
      records.push(...r)
    },
    close: async () => {},
  }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('the in-flight window in the pipeline', () => {
  test('deliveries waiting for identity lookups are held at their bytes: reading stops at the byte limit', async () => {
    const waiting: (() => void)[] = []
    // a lookup that never answers until the test says so (one slow DID)
    const identity: NonNullable<PipelineStages['identity']> = {
      process(events, emit) {
        waiting.push(() => emit(events.map((e): ResolvedEvent => ({ event: e }))))
      },
    }
    const s = source(50, 1000)
    const window = createInFlightWindow({ events: 10_000, bytes: 5000 })
    const out = sink()
    const run = runPipeline(
      s.src,
      {
        filter: () => true,
        identity,
        encode: (e) => ({ topic: 't', key: e.kind === 'info' ? '' : e.did, value: Buffer.from('{}') }),
        sink: out,
        window,
        metrics: createMetrics(),
        logger,
      },
      new AbortController().signal,
    )
    for (let i = 0; i < 20; i++) await tick()
    assert.equal(s.pulled, 5, '5 deliveries of 1000 bytes fill a 5000-byte window')
    assert.equal(window.bytes, 5000)
    assert.equal(window.size, 5)
    // the lookups answer: what waited goes out as small records and reading goes on
    while (s.acked < 50) {
      for (const w of waiting.splice(0)) w()
      await tick()
    }
    await run
    assert.equal(out.records.length, 50)
    assert.equal(window.bytes, 0)
    assert.equal(window.size, 0)
  })

  test('without identity, records are held at their encoded bytes', async () => {
    const s = source(20, 1)
    const window = createInFlightWindow({ events: 10_000, bytes: 3000 })
    const sends: (() => void)[] = []
    const out: Sink = {
      // the broker does not answer until the test says so
      send: () => new Promise<void>((r) => sends.push(r)),
      close: async () => {},
    }
    const run = runPipeline(
      s.src,
      {
        filter: () => true,
        encode: () => ({ topic: 't', key: 'did:plc:k', value: Buffer.alloc(991) }),
        sink: out,
        window,
        metrics: createMetrics(),
        logger,
      },
      new AbortController().signal,
    )
    for (let i = 0; i < 20; i++) await tick()
    assert.equal(s.pulled, 3, 'three records of 1000 bytes (value and key) fill a 3000-byte window')
    assert.equal(window.bytes, 3000)
    while (s.acked < 20) {
      for (const r of sends.splice(0)) r()
      await tick()
    }
    await run
    assert.equal(window.bytes, 0)
  })
})
