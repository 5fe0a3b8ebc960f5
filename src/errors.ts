// Error classes and the closed set of reasons an event may be dropped. A catch block either
// rethrows with context (cause chained), turns the error into a counted drop, or retries.

/** Every reason atkafka may drop an upstream event or message. Pre-registered as metric labels. */
export const DROP_REASONS = [
  'unknown_kind', // frame type / Tap event type atkafka does not know (forward compatibility)
  'malformed_frame', // bytes that are not a header + body of DAG-CBOR, or invalid JSON from Tap
  'oversized_frame', // a relay frame past --max-frame-bytes, never read: skipped by moving the cursor one seq
  'lexicon_limit', // a frame past its lexicon's limits (over 200 ops, over 2,000,000 bytes of blocks): dropped whole
  'invalid_event', // decoded, but required fields are missing or have the wrong type
  'invalid_car', // commit blocks are not a readable CAR
  'missing_block', // create/update op whose record block is not in the commit's CAR
  'cid_mismatch', // record block does not hash to the op's CID
  'invalid_record', // record block is not decodable DAG-CBOR, or nests deeper than JSON can serialize
  'oversized_message', // larger than the broker accepts; written to the dead-letter topic
  'broker_rejected', // the broker refused it for good (non-retryable); written to the dead-letter topic
  'invalid_signature', // a label whose signature is not its labeler's (after resolving its key again); written to the dead-letter topic
  'wrong_src', // a label whose src is not the labeler whose stream it came in; written to the dead-letter topic
  'copied_by_backfill', // firehose relay --backfill-seam: a record operation at or below the rev its repo was copied at by the backfill (in Kafka already)
] as const
export type DropReason = (typeof DROP_REASONS)[number]

/** Bad configuration: every problem, each naming its flag and env var. Exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    )
    this.problems = problems
  }
}

/** The upstream socket failed or closed; retried with backoff. */
export class SourceConnectionError extends Error {
  override readonly name = 'SourceConnectionError'
}

/** The upstream said something that ends the run (e.g. FutureCursor with on-future-cursor=stop). */
export class SourceProtocolError extends Error {
  override readonly name = 'SourceProtocolError'
}

/** An upstream event could not be decoded: it is dropped, counted under `reason`, and acked. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError'
  readonly reason: DropReason
  constructor(reason: DropReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** Kafka failed past the client's retries: the run ends without acking. Exit code 1. */
export class SinkError extends Error {
  override readonly name = 'SinkError'
}

export class IdentityLookupError extends Error {
  override readonly name = 'IdentityLookupError'
}

export class CursorError extends Error {
  override readonly name = 'CursorError'
}

/**
 * --standby: this instance lost the writer role (the group gave it to another member, it was
 * paused past its session, or Kafka fenced its producer). It stops at once, exit code 75
 * (EXIT_FENCED), so its supervisor restarts it as a standby.
 */
export class WriterFencedError extends Error {
  override readonly name = 'WriterFencedError'
}

/** the exit code of a fenced writer (sysexits' EX_TEMPFAIL: restart it) */
export const EXIT_FENCED = 75
