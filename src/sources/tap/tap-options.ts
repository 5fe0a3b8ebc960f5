// Tap's own options (its catalog entry carries them; the shared ones it takes follow its
// audience, src/config/schema.ts).
import { bool, section, text, wsUrl } from '../../config/option.ts'

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
})
