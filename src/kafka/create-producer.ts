// The idempotent, acks=all producer with Java-compatible key partitioning; transactional in
// exactly-once mode.
import {
  type CompressionAlgorithmValue,
  ProduceAcks,
  Producer,
  type Serializers,
  stringSerializer,
} from '@platformatic/kafka'
import * as promClient from 'prom-client'
import type { Config } from '../config/schema.ts'
import type { DeliveryMode } from './delivery-mode.ts'
import { connectionOptions, type KafkaConfig } from './kafka-client-options.ts'
import { keyPartitioner } from './key-hash.ts'

export type ProducerConfig = KafkaConfig & Pick<Config, 'compression' | 'produceRetries'>

/** keys are strings; values and headers are bytes the encoder already wrote */
export type AtkafkaProducer = Producer<string, Buffer, Buffer, Buffer>

const serializers: Serializers<string, Buffer, Buffer, Buffer> = {
  key: stringSerializer,
  value: (value) => value,
  headerKey: (key) => key,
  headerValue: (value) => value,
}

export function createProducer(
  config: ProducerConfig,
  registry: promClient.Registry,
  mode: DeliveryMode = { kind: 'at-least-once' },
): AtkafkaProducer {
  return new Producer<string, Buffer, Buffer, Buffer>({
    ...connectionOptions(config),
    serializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // DID keys must land where every Java-compatible producer puts them (murmur2, once per key)
    partitioner: keyPartitioner,
    ...(config.compression === 'none'
      ? {}
      : { compression: config.compression as CompressionAlgorithmValue }),
    // the idempotent producer turns retries <= 1 into "forever"; the schema keeps it >= 2
    retries: config.produceRetries,
    retryDelay: (_client, _op, attempt) => Math.min(10_000, 100 * 2 ** attempt),
    metrics: { registry, client: promClient },
    ...(mode.kind === 'exactly-once' ? { transactionalId: mode.transactionalId } : {}),
  })
}
