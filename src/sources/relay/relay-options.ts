// The relay's own options (its catalog entry carries them; the shared ones it takes follow its
// audience, src/config/schema.ts).
import * as v from 'valibot'
import { int, matching, oneOf, section, text, wsUrl } from '../../config/option.ts'

export const relayOptions = section('Upstream', ['relay'], {
  relayHost: {
    schema: wsUrl,
    default: 'wss://bsky.network',
    help: 'relay (or PDS) to subscribe to; /xrpc/com.atproto.sync.subscribeRepos is appended',
  },
  cursor: {
    schema: v.pipe(
      matching(/^(\d{1,16})?$/, 'expected a non-negative integer seq'),
      v.transform((s) => (s === '' ? undefined : Number(s))),
    ),
    default: '',
    help: 'relay seq to resume after, overriding the stored cursor (the relay replays from the next seq; 0 = its whole window); empty: the stored cursor, else the live head',
  },
  backfillSeam: {
    schema: v.pipe(
      text,
      v.check((s) => s === '' || /^[a-zA-Z0-9._-]{1,249}$/.test(s), 'expected a Kafka topic name or nothing'),
    ),
    default: '',
    help: 'live after `atkafka backfill` with no gap: the backfill’s work topic. Starts at the relay seq its plan noted (unless a cursor is stored) and skips each record operation whose rev is at or below the rev its repo was copied at (docs/backfill.md); when it starts: --backfill-seam-start',
  },
  backfillSeamStart: {
    schema: oneOf(['done', 'now']),
    default: 'done',
    help: 'with --backfill-seam: `done` waits until the backfill is done (no record twice); `now` goes live as soon as the plan noted its seq, while the workers copy (a record written during the copy to a repo not copied yet is in Kafka twice: live, then in the copy)',
  },
  backfillSeamGroup: {
    schema: text,
    default: 'atkafka-backfill',
    help: 'with --backfill-seam: the backfill workers’ consumer group (whose consumed offsets say the backfill is done)',
  },
  backfillSeamMaxBytes: {
    schema: int(1 << 20, Number.MAX_SAFE_INTEGER),
    default: String(1024 ** 3),
    help: 'with --backfill-seam: most bytes the table of copied revs may take (20-40 bytes a repo); a backfill past it stops the run',
  },
})
