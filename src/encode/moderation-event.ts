// Ozone moderation events (`ozone-events` mode) in the output formats. The standard value is
// Ozone's ModEventView exactly as queryEvents returned it; the Osprey action name is taken
// from the event's $type: `ozone#<name>` for `tools.ozone.moderation.defs#<name>` (e.g.
// `ozone#modEventTakedown`), the whole $type for an event of another lexicon, and
// `ozone#unknown` when it has none.
import type { ModerationEvent } from '../events/atproto-event.ts'

const OZONE_DEFS = 'tools.ozone.moderation.defs#'

export function moderationActionName(event: ModerationEvent): string {
  const type = (event.view.event as { $type?: unknown } | undefined)?.$type
  if (typeof type !== 'string' || type.length === 0) return 'ozone#unknown'
  return type.startsWith(OZONE_DEFS) ? `ozone#${type.slice(OZONE_DEFS.length)}` : type
}
