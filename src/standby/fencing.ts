// Kafka's word that a newer producer with the same transactional id exists: this instance's
// writes are refused for good (a zombie writer), so it must stop, not retry.
import { WriterFencedError } from '../errors.ts'
import { findKafkaError } from '../kafka/kafka-errors.ts'
import type { Sink } from '../pipeline/types.ts'

const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'])

/** the fencing error id in a client error (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH), if any */
export function fencingError(err: unknown): string | undefined {
  return findKafkaError(err, (apiId) => (FENCED.has(apiId) ? apiId : undefined))
}

/**
 * The sink of a --standby writer: sends nothing once the role is lost (`holds()` runs the
 * paused-writer check, so a zombie that just resumed sends nothing), and tells `onFenced` the
 * moment a send fails because Kafka fenced the producer.
 */
export function writerSink(sink: Sink, role: { holds(): boolean; onFenced(apiId: string): void }): Sink {
  return {
    ...(sink.ready ? { ready: () => sink.ready?.() ?? Promise.resolve() } : {}),
    send: (records) => {
      if (!role.holds()) return Promise.reject(new WriterFencedError('not the writer any more: nothing sent'))
      return sink.send(records).catch((err: unknown) => {
        const apiId = fencingError(err)
        if (apiId) role.onFenced(apiId)
        throw err
      })
    },
    close: () => sink.close(),
  }
}
