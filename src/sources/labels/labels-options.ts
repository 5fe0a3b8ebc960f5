// The labels source's own options (its catalog entry carries them; the shared ones it takes
// follow its traits, src/config/schema.ts: the cursor, socket and event-stream options).
import * as v from 'valibot'
import { httpUrl, int, listOf, oneOf, section } from '../../config/option.ts'
import { isDid } from '../../events/atproto-syntax.ts'

export const labelsOptions = section('Labelers', ['labels'], {
  labelers: {
    schema: v.pipe(
      listOf((did) => (isDid(did) ? undefined : `${did}: expected a DID such as did:plc:…`)),
      v.check((dids) => dids.length > 0, 'name at least one labeler'),
      v.check((dids) => new Set(dids).size === dids.length, 'a labeler is named twice'),
    ),
    required: true,
    help: 'the labelers whose labels are produced (comma-separated DIDs); each DID document gives its endpoint (#atproto_labeler service) and the key its labels are verified with (#atproto_label)',
  },
  labelerHost: {
    schema: httpUrl(true),
    default: '',
    help: 'with one labeler: subscribe at this URL (http(s)://…) instead of its #atproto_labeler endpoint (its key still comes from its DID document)',
  },
  labelsFrom: {
    schema: oneOf(['beginning', 'live']),
    default: 'beginning',
    help: 'where a labeler without a stored cursor starts: beginning (every label it still serves: labels are state) or live (only labels from now on)',
  },
  maxLabelsPerFrame: {
    schema: int(1, 1_000_000),
    default: '1000',
    help: 'most labels one #labels frame may hold; a larger frame is dropped whole (counted as lexicon_limit), its seq passed',
  },
  labelerKeyRefreshS: {
    schema: int(0, 86_400),
    default: '60',
    help: 'a label whose signature does not match makes the labeler’s DID document be resolved again (its key may have rotated), at most once per this many seconds per labeler; still wrong: the label is refused (dead-letter topic)',
  },
})
