// Acks owed to Tap. An ack is written on the current connection when there is one; otherwise it
// waits (in order) and is written right after the next connection opens. Tap still expects it
// then: its outbox keeps every unacked event and resends it after its retry timeout (60 s by
// default), whatever connection it was first sent on, and acks are idempotent, so a late ack
// at worst arrives after a redelivery (a duplicate in Kafka, never a loss).
// Metrics: atkafka_acks_sent{status="ok"} once per ack written; {status="error"} once per ack
// that could not be written when it was due (it then waits, and counts "ok" when written).
import type { TapMetrics } from './tap-metrics.ts'

export interface AckSender {
  /** writes a text frame on the current connection; false when there is none */
  send(text: string): boolean
}

export interface PendingAcks {
  /** acks `id` now, or as soon as a connection is open */
  ack(id: number): void
  /** writes every waiting ack (call when a connection opens); stops at the first that cannot be written */
  flush(): void
  /** acks waiting for a connection */
  readonly waiting: number
}

export function ackMessage(id: number): string {
  return `{"type":"ack","id":${id}}`
}

export function createPendingAcks(
  sender: AckSender,
  metrics: Pick<TapMetrics, 'ackSent' | 'tapAckBuffer'>,
  /** each ack as it is written (--exactly-once: the kept id's settle clock starts) */
  onSent: (id: number) => void = () => {},
): PendingAcks {
  let queue: number[] = []
  let head = 0

  const waiting = () => queue.length - head

  const flush = () => {
    const before = waiting()
    while (head < queue.length) {
      const id = queue[head] as number
      if (!sender.send(ackMessage(id))) break
      head++
      metrics.ackSent('ok')
      onSent(id)
    }
    if (head === queue.length) {
      queue = []
      head = 0
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
    if (waiting() !== before) metrics.tapAckBuffer(waiting())
  }

  return {
    ack(id) {
      // keep order: while acks are waiting, a new one queues behind them
      if (waiting() > 0) flush()
      if (waiting() === 0 && sender.send(ackMessage(id))) {
        metrics.ackSent('ok')
        onSent(id)
        return
      }
      metrics.ackSent('error')
      queue.push(id)
      metrics.tapAckBuffer(waiting())
    },
    flush,
    get waiting() {
      return waiting()
    },
  }
}
