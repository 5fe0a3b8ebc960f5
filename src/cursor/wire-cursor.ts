// How a resumable source's cursor is kept during a run: in which store (--cursor-store), where
// the run starts (a position given on the command line, else the stored one), and how it is
// saved: by a timer while it moves (at-least-once), or inside each transaction of the sink
// (--exactly-once, the Kafka store).
import type { Logger } from 'pino'
import type { SharedConfig } from '../config/schema.ts'
import type { AtkafkaProducer } from '../kafka/create-producer.ts'
import type { DeliveryMode } from '../kafka/delivery-mode.ts'
import type { CursorMetrics } from './cursor-metrics.ts'
import { type CursorSaver, startCursorSaver } from './cursor-saver.ts'
import type { CursorCodec, CursorOwner, CursorPort, CursorStore } from './cursor-store.ts'
import { createFileCursorStore } from './file-cursor-store.ts'
import { createKafkaCursorStore } from './kafka-cursor-store.ts'

export interface CursorWiring<P> {
  /** where the cursor is kept, for logs and the status page ('none' without a store) */
  readonly location: string
  /** exactly-once: what the sink commits with each transaction */
  readonly transactional: CursorPort<P> | undefined
  /** the position the run starts after (the override, else the stored one); starts saving */
  start(override: P | undefined): Promise<P | undefined>
  /** the last position saved this run (exactly-once: committed with the last transaction) */
  savedPosition(): P | undefined
  /** the same as a number (the status page) */
  saved(): number | undefined
  /** stops the timer and saves the last checkpoint (the transactional sink commits its own) */
  finish(): Promise<void>
}

export function wireCursor<P>(
  config: SharedConfig<'all' | 'cursor'>,
  mode: DeliveryMode,
  codec: CursorCodec<P>,
  deps: {
    producer: AtkafkaProducer
    /** the source's checkpoint */
    checkpoint: () => P | undefined
    /** exactly-once: a transaction carrying this position committed (the source's committed()) */
    onCommitted?: (position: P) => void
    upstream: string
    metrics: CursorMetrics
    logger: Logger
  },
): CursorWiring<P> {
  const { checkpoint, metrics, logger } = deps
  const owner: CursorOwner = { sourceId: config.sourceId, upstream: deps.upstream }
  const kafka = () =>
    createKafkaCursorStore(
      { kafka: config, topic: config.cursorTopic, producer: deps.producer },
      owner,
      codec,
    )
  let saved: P | undefined
  const onSaved = (position: P) => {
    saved = position
  }
  let store: CursorStore<P> | undefined
  let transactional: CursorPort<P> | undefined
  /** exactly-once: the position committed last, or the one the run started after */
  let last: P | undefined
  if (mode.kind === 'exactly-once') {
    // the config allows --exactly-once with the Kafka store only
    const txnStore = kafka()
    store = txnStore
    transactional = {
      position: checkpoint,
      record: txnStore.record,
      last: () => last,
      committed(position) {
        last = position
        onSaved(position)
        metrics.cursorCommitted(codec.toNumber(position))
        deps.onCommitted?.(position)
      },
    }
  } else if (config.cursorStore === 'kafka') store = kafka()
  else if (config.cursorStore === 'file') store = createFileCursorStore(config.cursorFile, owner, codec)
  let saver: CursorSaver | undefined
  const location = !store
    ? 'none'
    : transactional
      ? `${store.location}, committed in each transaction`
      : store.location

  return {
    location,
    transactional,
    async start(override) {
      const stored = store ? await store.load() : undefined
      const after = override ?? stored
      last = after
      const shown = (p: P | undefined) => (p === undefined ? null : codec.toNumber(p))
      logger.info(
        { store: location, stored: shown(stored), cursor: shown(after) },
        after === undefined
          ? 'no cursor: starting where the source starts without one (relay: the live head; ozone-events: the first event)'
          : 'resuming after cursor',
      )
      if (store && !transactional) {
        saver = startCursorSaver(store, checkpoint, config.cursorSaveIntervalMs, { logger, onSaved })
      }
      return after
    },
    savedPosition: () => saved,
    saved: () => (saved === undefined ? undefined : codec.toNumber(saved)),
    async finish() {
      if (!saver) return
      saver.stop()
      await saver.flush()
      const last = checkpoint()
      logger.info({ cursor: last === undefined ? null : codec.toNumber(last) }, 'cursor saved')
    },
  }
}
