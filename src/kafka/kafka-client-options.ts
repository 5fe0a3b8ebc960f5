// Config → @platformatic/kafka connection options (brokers, SASL, TLS) shared by every client.
import { readFileSync } from 'node:fs'
import type { SASLMechanismValue } from '@platformatic/kafka'
import type { Config } from '../config/schema.ts'

export type KafkaConfig = Pick<
  Config,
  | 'bootstrapServers'
  | 'clientId'
  | 'saslMechanism'
  | 'saslUsername'
  | 'saslPassword'
  | 'tls'
  | 'tlsCaFile'
  | 'tlsCertFile'
  | 'tlsKeyFile'
>

export function connectionOptions(config: KafkaConfig) {
  const tls =
    config.tls || config.tlsCaFile || config.tlsCertFile
      ? {
          ...(config.tlsCaFile ? { ca: readFileSync(config.tlsCaFile, 'utf8') } : {}),
          ...(config.tlsCertFile ? { cert: readFileSync(config.tlsCertFile, 'utf8') } : {}),
          ...(config.tlsKeyFile ? { key: readFileSync(config.tlsKeyFile, 'utf8') } : {}),
        }
      : undefined
  const sasl = config.saslMechanism
    ? {
        mechanism: config.saslMechanism as SASLMechanismValue,
        username: config.saslUsername,
        password: config.saslPassword,
      }
    : undefined
  return {
    clientId: config.clientId,
    bootstrapBrokers: [...config.bootstrapServers],
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl } : {}),
  }
}
