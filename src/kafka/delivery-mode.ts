// How events are delivered to Kafka, decided once per run and handed to the producer, the
// cursor wiring and the sink: at-least-once (idempotent producer; the cursor saved on a timer,
// after Kafka acknowledged what it covers) or exactly-once (--exactly-once, a resumable source:
// a transactional producer; each transaction carries the events and the cursor together).
export type DeliveryMode =
  | { readonly kind: 'at-least-once' }
  | {
      readonly kind: 'exactly-once'
      /** stable per source id, so a restarted or standby instance fences the old one */
      readonly transactionalId: string
      /** commit the open transaction at least this often (--transaction-interval-ms) */
      readonly intervalMs: number
      /** and once it holds this many messages (--transaction-max-events) */
      readonly maxEvents: number
    }

/** the mode of a run: exactly-once needs a source that resumes from a cursor (the config refuses it otherwise) */
export function deliveryMode(
  config: {
    readonly exactlyOnce?: boolean
    readonly transactionalId: string
    readonly transactionIntervalMs?: number
    readonly transactionMaxEvents?: number
  },
  resumable: boolean,
): DeliveryMode {
  const { exactlyOnce, transactionalId, transactionIntervalMs, transactionMaxEvents } = config
  return exactlyOnce === true &&
    resumable &&
    transactionIntervalMs !== undefined &&
    transactionMaxEvents !== undefined
    ? {
        kind: 'exactly-once',
        transactionalId,
        intervalMs: transactionIntervalMs,
        maxEvents: transactionMaxEvents,
      }
    : { kind: 'at-least-once' }
}
