// Error classes and the closed set of reasons an event may be dropped. A catch block either
// rethrows with context (cause chained), turns the error into a counted drop, or retries.

/** Every reason atkafka may drop an upstream event or message. Pre-registered as metric labels. */
export const DROP_REASONS = [
  'unknown_kind', // frame type / Tap event type atkafka does not know (forward compatibility)
  'malformed_frame', // bytes that are not a header + body of DAG-CBOR, or invalid JSON from Tap
  'invalid_event', // decoded, but required fields are missing or have the wrong type
  'invalid_car', // commit blocks are not a readable CAR
  'missing_block', // create/update op whose record block is not in the commit's CAR
  'cid_mismatch', // record block does not hash to the op's CID
  'invalid_record', // record block is not decodable DAG-CBOR, or nests deeper than JSON can serialize
  'oversized_message', // larger than the broker accepts; written to the dead-letter topic
  'broker_rejected', // the broker refused it for good (non-retryable); written to the dead-letter topic
] as const
export type DropReason = (typeof DROP_REASONS)[number]

export type ErrorCode =
  | 'config'
  | 'source_connection'
  | 'source_protocol'
  | 'decode'
  | 'sink'
  | 'identity_lookup'
  | 'cursor'

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode
}

/** Bad configuration: every problem, each naming its flag and env var. Exit code 2. */
export class ConfigError extends AppError {
  override readonly name = 'ConfigError'
  readonly code = 'config'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    )
    this.problems = problems
  }
}

/** The upstream socket failed or closed; retried with backoff. */
export class SourceConnectionError extends AppError {
  override readonly name = 'SourceConnectionError'
  readonly code = 'source_connection'
}

/** The upstream said something that ends the run (e.g. FutureCursor with on-future-cursor=stop). */
export class SourceProtocolError extends AppError {
  override readonly name = 'SourceProtocolError'
  readonly code = 'source_protocol'
}

/** An upstream event could not be decoded: it is dropped, counted under `reason`, and acked. */
export class DecodeError extends AppError {
  override readonly name = 'DecodeError'
  readonly code = 'decode'
  readonly reason: DropReason
  constructor(reason: DropReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** Kafka failed past the client's retries: the run ends without acking. Exit code 1. */
export class SinkError extends AppError {
  override readonly name = 'SinkError'
  readonly code = 'sink'
}

export class IdentityLookupError extends AppError {
  override readonly name = 'IdentityLookupError'
  readonly code = 'identity_lookup'
}

export class CursorError extends AppError {
  override readonly name = 'CursorError'
  readonly code = 'cursor'
}
