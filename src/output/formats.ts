// The message value formats (--format): the Go original's JSON, Osprey's envelope, Jetstream
// v1's shapes. Below config/ (which parses the option) and encode/ (which writes them).

export const OUTPUT_FORMATS = ['standard', 'osprey', 'jetstream'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** the kinds of event each format has a shape for (Jetstream v1: no #sync, no #info, no moderation, no label) */
export const FORMAT_KINDS: Readonly<Record<OutputFormat, readonly string[]>> = {
  standard: ['operation', 'identity', 'account', 'sync', 'info', 'moderation', 'label'],
  osprey: ['operation', 'identity', 'account', 'sync', 'info', 'moderation', 'label'],
  jetstream: ['operation', 'identity', 'account'],
}
