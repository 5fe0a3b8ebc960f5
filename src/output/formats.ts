// The message value formats (--format): the Go original's JSON, Osprey's envelope, Jetstream
// v1's shapes. Below config/ (which parses the option) and encode/ (which writes them).

export const OUTPUT_FORMATS = ['standard', 'osprey', 'jetstream'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]
