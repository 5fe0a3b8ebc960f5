// An event's action name: the Go original's `action_name` (Osprey's envelope, the label of
// atkafka_handled_events): `operation#create|update|delete`, `account`, `identity`, `info`,
// `sync`. For Ozone moderation events (`ozone-events` mode) it is taken
// from the event's $type: `ozone#<name>` for `tools.ozone.moderation.defs#<name>` (e.g.
// `ozone#modEventTakedown`), the whole $type for an event of another lexicon, and
// `ozone#unknown` when it has none. The `action` record header is that name without `ozone#`.
import type { AtprotoEvent, ModerationEvent } from './atproto-event.ts'

const OZONE_DEFS = 'tools.ozone.moderation.defs#'

/** the event's type: `modEventTakedown` for tools.ozone.moderation.defs#modEventTakedown, another lexicon's whole $type, `unknown` */
export function moderationType(event: ModerationEvent): string {
  const type = (event.view.event as { $type?: unknown } | undefined)?.$type
  if (typeof type !== 'string' || type.length === 0) return 'unknown'
  return type.startsWith(OZONE_DEFS) ? type.slice(OZONE_DEFS.length) : type
}

export function moderationActionName(event: ModerationEvent): string {
  const type = moderationType(event)
  return type.includes('#') ? type : `ozone#${type}`
}

/** the action name of any event */
// one string per action, not a new one per event (the pipeline counts every event by it)
const OPERATION_NAMES = {
  create: 'operation#create',
  update: 'operation#update',
  delete: 'operation#delete',
} as const

export function ospreyActionName(event: AtprotoEvent): string {
  if (event.kind === 'moderation') return moderationActionName(event)
  return event.kind === 'operation' ? OPERATION_NAMES[event.action] : event.kind
}
