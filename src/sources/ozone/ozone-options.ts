// ozone-events' own options (its catalog entry carries them; the shared ones it takes follow
// its audience, src/config/schema.ts).
import { httpUrl, int, matching, oneOf, section } from '../../config/option.ts'

const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]+$/

const ozoneLogin = section(
  'Ozone',
  ['ozone'],
  {
    ozonePdsHost: {
      schema: httpUrl(),
      required: true,
      help: 'PDS of the moderator account atkafka logs in as; it proxies the Ozone calls to the labeler',
    },
    ozoneIdentifier: {
      schema: matching(/^\S+$/, 'expected a handle, DID or email'),
      required: true,
      help: 'handle (or DID, or email) of an account that is a moderator of the labeler’s Ozone',
    },
    ozonePassword: {
      schema: matching(/./, 'must not be empty'),
      required: true,
      secret: true,
      help: 'its password; an app password is best (never logged)',
    },
    ozoneLabelerDid: {
      schema: matching(DID, 'expected a DID such as did:plc:…'),
      required: true,
      help: 'the labeler whose Ozone is read: calls go through the PDS with `atproto-proxy: <did>#atproto_labeler`',
    },
  },
  // the Go original's four flags have no prefix; their env names keep ATKAFKA_OZONE_
  'ozone',
)

const ozoneTuning = section('Ozone', ['ozone'], {
  ozoneKey: {
    schema: oneOf(['subject-did', 'event-id']),
    default: 'subject-did',
    help: 'Kafka key: the subject’s DID (one subject’s history stays in order on one partition, next to its firehose events) or the event id (the Go original’s key)',
  },
  ozonePollIntervalMs: {
    schema: int(50, 3_600_000),
    default: '1000',
    help: 'wait between two reads once caught up (a backlog is read page after page without waiting)',
  },
  ozoneOverlapMs: {
    schema: int(0, 86_400_000),
    default: '10000',
    help: 'each read starts this far behind the previous read’s start, so that events committed late (createdAt is stamped before Ozone’s transaction commits) are not missed; covers the slowest moderation transaction plus the clock skew between atkafka and Ozone',
  },
  ozoneMaxTracked: {
    schema: int(100, 10_000_000),
    default: '100000',
    help: 'most event ids kept to skip events read again in the overlap (~100 bytes each); past it the overlap is shortened for the oldest (counted)',
  },
  ozonePageLimit: {
    schema: int(1, 100),
    default: '100',
    help: 'events per queryEvents page (Ozone allows 1-100)',
  },
  ozoneRequestTimeoutMs: {
    schema: int(100, 600_000),
    default: '30000',
    help: 'how long one call to the PDS may take',
  },
  ozoneGiveUpAfterMs: {
    schema: int(0, 86_400_000),
    default: '600000',
    help: 'exit 1 when no call succeeded for this long (retries go on until then); 0: retry forever',
  },
})

export const ozoneOptions = { ...ozoneLogin, ...ozoneTuning } as const
