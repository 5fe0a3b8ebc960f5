// The relay's own options (its catalog entry carries them; the shared ones it takes follow its
// audience, src/config/schema.ts).
import * as v from 'valibot'
import { matching, section, wsUrl } from '../../config/option.ts'

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
})
