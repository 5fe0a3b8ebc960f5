// Tap's own options (its catalog entry carries them; the shared ones it takes follow its
// audience, src/config/schema.ts).
import { bool, int, section, text, wsUrl } from '../../config/option.ts'

export const tapOptions = section('Upstream', ['tap'], {
  tapHost: {
    schema: wsUrl,
    default: 'ws://localhost:2480',
    help: 'Tap to read from; /channel is appended',
  },
  tapAdminPassword: {
    schema: text,
    default: '',
    secret: true,
    help: 'Tap’s TAP_ADMIN_PASSWORD, sent as HTTP Basic auth (user "admin")',
  },
  disableAcks: {
    schema: bool,
    default: 'false',
    help: 'do not ack Tap events (for Tap run with TAP_DISABLE_ACKS); LOSSY: Tap forgets events as soon as it has written them',
  },
  tapRedeliveryWindowMs: {
    schema: int(1000, 86_400_000),
    default: '180000',
    help: 'with --exactly-once, an id whose ack Tap may not have got (connection lost, or read back after a restart) is kept against redelivery until a connection was open this long: at least twice Tap’s TAP_RETRY_TIMEOUT (60 s by default)',
  },
  tapRedeliveryDepth: {
    schema: int(1000, 10_000_000),
    default: '30000',
    help: 'with --exactly-once, an acked id is kept until this many more frames were read: copies Tap queued before it read the ack come at most this far behind (its channel holds 10000 × TAP_OUTBOX_PARALLELISM, plus what the sockets buffer)',
  },
  tapMaxCommittedIds: {
    schema: int(1000, 10_000_000),
    default: '100000',
    help: 'with --exactly-once, most Tap ids kept against redelivery (in the cursor record); at the bound a new event is neither produced nor acked, and Tap sends it again after its retry timeout',
  },
  tapMaxCommittedIdsBytes: {
    schema: int(16_384, 900_000),
    default: '786432',
    help: 'with --exactly-once, most bytes those ids take in the cursor record (it must fit the cursor topic’s max.message.bytes, 1048588 by default); at the bound as above',
  },
})
