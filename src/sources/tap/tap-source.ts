// PLACEHOLDER until Tap mode lands (issue 5): the relay pipeline compiles without it.
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.ts'
import type { Metrics } from '../../metrics/metrics.ts'
import type { Source } from '../../pipeline/types.ts'

export function createTapSource(_config: Config, _deps: { metrics: Metrics; logger: Logger }): Source {
  throw new Error('tap mode is not implemented yet')
}
