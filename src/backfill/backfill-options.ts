// `atkafka backfill plan|work|status`'s own options (they also take the Kafka connection's:
// audience `all`; work takes the output's: format, headers, routes, collection filters).
import * as v from 'valibot'
import { httpUrl, int, listOf, section, text, topicName, type ValuesOf } from '../config/option.ts'
import type { SharedConfig } from '../config/schema.ts'
import { isDid } from '../events/atproto-syntax.ts'
import { validateCollectionPattern } from '../filters/collection-matcher.ts'

const origins = listOf((s) =>
  URL.canParse(s) && /^https?:\/\/[^/]+\/?$/.test(s) ? undefined : 'expected http(s)://host[:port]',
)

export const backfillOptions = section('Backfill', ['backfill-plan', 'backfill-work', 'backfill-status'], {
  backfillWorkTopic: {
    schema: topicName,
    default: 'atkafka-backfill',
    help: 'the work topic (one item per repo, keyed by DID); beside it <topic>.done (the rev each repo was copied at), <topic>.failed (why a repo could not be) and <topic>.plan (where the planner is)',
  },
  backfillPdsHosts: {
    schema: origins,
    default: '',
    audience: ['backfill-plan'],
    help: 'plan: every repo of these PDS hosts (com.atproto.sync.listRepos on each; comma-separated https://host)',
  },
  backfillRelayHost: {
    schema: httpUrl(true),
    default: '',
    audience: ['backfill-plan'],
    help: 'plan: every repo a relay lists (com.atproto.sync.listRepos, or listReposByCollection with --backfill-collections), each repo’s PDS from its DID document; the relay’s current seq is noted first (where live mode starts)',
  },
  backfillCollections: {
    schema: listOf(validateCollectionPattern),
    default: '',
    audience: ['backfill-plan'],
    help: 'plan with --backfill-relay-host: only repos holding records in these collections (listReposByCollection once per collection; exact NSIDs)',
  },
  backfillDids: {
    schema: listOf((d) => (isDid(d) ? undefined : 'expected a DID')),
    default: '',
    audience: ['backfill-plan'],
    help: 'plan: these repos (comma-separated DIDs), each repo’s PDS from its DID document',
  },
  backfillDidsFile: {
    schema: text,
    default: '',
    audience: ['backfill-plan'],
    help: 'plan: the repos in this file (one DID a line; blank lines and # comments ignored)',
  },
  backfillLiveHost: {
    schema: v.pipe(
      text,
      v.check(
        (s) => s === '' || (URL.canParse(s) && /^(wss?|https?):\/\/[^/]+\/?$/.test(s)),
        'expected ws(s):// or http(s)://host[:port]',
      ),
    ),
    default: '',
    audience: ['backfill-plan'],
    help: 'plan: the relay (or PDS) live mode will read; its current seq is noted before anything is listed, where `firehose relay --backfill-seam` starts. Default: the --backfill-relay-host (with --backfill-pds-hosts or --backfill-dids: none unless given)',
  },
  backfillPlanId: {
    schema: text,
    default: '',
    audience: ['backfill-plan'],
    help: 'name of the plan’s saved state (a second run under the same name adds nothing); default: derived from what is planned',
  },
  backfillPartitions: {
    schema: int(1, 100_000),
    default: '64',
    audience: ['backfill-plan'],
    help: 'partitions of the work topic and of <topic>.done when plan creates them: the most repos the whole fleet copies at once',
  },
  backfillGroup: {
    schema: text,
    default: 'atkafka-backfill',
    audience: ['backfill-work', 'backfill-status'],
    help: 'consumer group of the workers (and the prefix of their transactional ids)',
  },
  backfillSessionTimeoutMs: {
    schema: int(6000, 1_800_000),
    default: '30000',
    audience: ['backfill-work'],
    help: 'a worker that sends no heartbeat for this long (killed, stalled) loses its partitions to the others; its open repos are redone',
  },
  backfillHostConcurrency: {
    schema: int(1, 10_000),
    default: '4',
    audience: ['backfill-work'],
    help: 'most getRepo requests one worker has open to one PDS host',
  },
  backfillHostRate: {
    schema: int(0, 100_000),
    default: '10',
    audience: ['backfill-work'],
    help: 'most getRepo requests one worker starts per second to one PDS host (0: unlimited); a 429 or 503 with Retry-After pauses the host as asked',
  },
  backfillMaxAttempts: {
    schema: int(1, 1000),
    default: '5',
    audience: ['backfill-work'],
    help: 'tries of a repo whose failures are transient (429, 5xx, timeouts, cut connections) before it is recorded as failed',
  },
  backfillRepoTimeoutMs: {
    schema: int(1000, 86_400_000),
    default: '600000',
    audience: ['backfill-work'],
    help: 'longest one getRepo may take (answer and whole CAR); the idle limit between bytes is 60 s',
  },
  backfillMaxRepoBytes: {
    schema: int(1024, Number.MAX_SAFE_INTEGER),
    default: String(8 * 1024 ** 3),
    audience: ['backfill-work'],
    help: 'largest repo CAR copied (bytes); a larger one is recorded as failed (too_large)',
  },
  backfillRepoMemoryBytes: {
    schema: int(0, Number.MAX_SAFE_INTEGER),
    default: String(32 * 1024 ** 2),
    audience: ['backfill-work'],
    help: 'bytes of a repo’s blocks held in memory while they wait for their tree node or commit; past it they go to a temporary file',
  },
  backfillMaxQueued: {
    schema: int(1, 100_000),
    default: '256',
    audience: ['backfill-work'],
    help: 'work items one worker holds (across its partitions) before it stops reading the work topic',
  },
})

/** rules between the plan options: exactly one source of repos */
export function planProblems(values: Record<string, unknown>): string[] {
  const given = ['backfillPdsHosts', 'backfillRelayHost', 'backfillDids', 'backfillDidsFile'].filter((k) => {
    const x = values[k]
    return Array.isArray(x) ? x.length > 0 : typeof x === 'string' && x !== ''
  })
  const problems: string[] = []
  if (given.length !== 1) {
    problems.push(
      '--backfill-pds-hosts, --backfill-relay-host, --backfill-dids, --backfill-dids-file (ATKAFKA_BACKFILL_…): give exactly one',
    )
  }
  const collections = values.backfillCollections as string[] | undefined
  if (collections && collections.length > 0) {
    if (values.backfillRelayHost === '')
      problems.push('--backfill-collections (ATKAFKA_BACKFILL_COLLECTIONS): needs --backfill-relay-host')
    if (collections.some((c) => c.includes('*')))
      problems.push('--backfill-collections (ATKAFKA_BACKFILL_COLLECTIONS): exact NSIDs, no *')
  }
  return problems
}

type Own = ValuesOf<typeof backfillOptions>
export type BackfillPlanConfig = SharedConfig<'all' | 'backfill-plan'> & Own
export type BackfillWorkConfig = SharedConfig<'all' | 'backfill-work'> & Own
export type BackfillStatusConfig = SharedConfig<'all' | 'backfill-status'> & Own
