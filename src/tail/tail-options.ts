// `atkafka tail`'s own options (it takes the Kafka connection's too: audience `all`).
import * as v from 'valibot'
import { bool, int, list, listOf, oneOf, section, type ValuesOf } from '../config/option.ts'
import type { SharedConfig } from '../config/schema.ts'
import { validateCollectionPattern } from '../filters/collection-matcher.ts'

const TAIL_ACTIONS = ['create', 'update', 'delete', 'account', 'identity', 'sync', 'info', 'label'] as const
const collectionPatterns = listOf(validateCollectionPattern)

export const tailOptions = section(
  'Tail',
  ['tail'],
  {
    tailFromBeginning: {
      schema: bool,
      default: 'false',
      help: 'start at the oldest message of every partition instead of at the messages produced from now on',
    },
    tailJson: {
      schema: bool,
      default: 'false',
      help: 'print each message value as produced, one JSON line per message, instead of one readable line',
    },
    tailDid: {
      schema: listOf((d) => (/^did:[a-z]+:\S+$/.test(d) ? undefined : 'expected a DID such as did:plc:…')),
      default: '',
      help: 'only events of these DIDs (comma-separated)',
    },
    tailCollection: {
      schema: collectionPatterns,
      default: '',
      help: 'only record operations in these collections (comma-separated, same patterns as --matched-collections: `app.bsky.*`, `app.bsky.feed.post`, `*`)',
    },
    tailAction: {
      schema: v.pipe(list, v.array(oneOf(TAIL_ACTIONS))),
      default: '',
      help: `only these kinds of event (comma-separated): ${TAIL_ACTIONS.join(', ')}`,
    },
    tailTopics: {
      schema: listOf((t) =>
        /^[a-zA-Z0-9._*-]{1,249}$/.test(t)
          ? undefined
          : 'expected topic names or patterns with * (a-z A-Z 0-9 . _ - *)',
      ),
      default: '',
      help: 'topics to follow (comma-separated; `*` matches any characters, e.g. `atproto.*`, expanded when tail starts); default: --output-topic and every topic --topic-routes names',
    },
    tailLimit: {
      schema: int(0, Number.MAX_SAFE_INTEGER),
      default: '0',
      help: 'exit after printing this many events (0: run until interrupted)',
    },
  },
  'tail',
)

/** what `atkafka tail` is configured with: the Kafka connection (and --topic-routes) and its own */
export type TailConfig = SharedConfig<'all' | 'tail'> & ValuesOf<typeof tailOptions>
