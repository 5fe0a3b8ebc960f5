// com.atproto.sync.getRepo from the repo's PDS, within the host's limits, and what each answer
// means for the work item: the records streamed to `consume` (which produces them), or an
// ItemError with a counted reason, transient (retried with backoff) or final (dead-lettered).

import { type HostLimits, retryAfterMs } from './host-limits.ts'
import {
  REPO_FAILURES,
  RepoError,
  type RepoFailure,
  type RepoLimits,
  type RepoRecord,
  type RepoSummary,
  readRepo,
} from './repo-car.ts'
import type { WorkItem } from './work-item.ts'

export const ITEM_FAILURES = [
  'repo_not_found', // RepoNotFound (also a 404): the account is gone
  'repo_takendown', // RepoTakendown
  'repo_deactivated', // RepoDeactivated
  'repo_suspended', // RepoSuspended
  'rate_limited', // 429 (Retry-After honoured), transient
  'server_error', // 5xx, transient
  'timeout', // no answer or no bytes in time, transient
  'network', // connection refused / reset, DNS, transient
  'bad_response', // another 4xx, or not a CAR
  'invalid_item', // the work item itself is unreadable
  'broker_rejected', // Kafka refused the repo's transaction maxAttempts times while this worker owned it (e.g. a record too large)
  'broker_rejected', // Kafka refused the repo's transaction maxAttempts times while this worker owned the item (e.g. a record too large)
  ...REPO_FAILURES,
] as const
export type ItemFailure = (typeof ITEM_FAILURES)[number]

const TRANSIENT: ReadonlySet<ItemFailure> = new Set([
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'truncated',
])

export class ItemError extends Error {
  override readonly name = 'ItemError'
  readonly reason: ItemFailure
  readonly transient: boolean
  constructor(reason: ItemFailure, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
    this.transient = TRANSIENT.has(reason)
  }
}

export interface FetchRepoOptions extends RepoLimits {
  /** ms for the whole getRepo (headers and body) */
  readonly timeoutMs: number
  /** ms without a byte of the body before giving up */
  readonly idleTimeoutMs: number
  /** longest Retry-After honoured */
  readonly maxRetryAfterMs: number
}

const ERROR_REASONS: Record<string, ItemFailure> = {
  RepoNotFound: 'repo_not_found',
  RepoTakendown: 'repo_takendown',
  RepoDeactivated: 'repo_deactivated',
  RepoSuspended: 'repo_suspended',
}

/**
 * Fetches `item`'s repo and hands its verified records to `consume`; resolves with what consume
 * resolved with. Any failure is an ItemError.
 */
export async function fetchRepo<T>(
  item: WorkItem,
  options: FetchRepoOptions,
  hosts: HostLimits,
  signal: AbortSignal,
  consume: (records: AsyncGenerator<RepoRecord, RepoSummary, void>) => Promise<T>,
): Promise<T> {
  const host = new URL(item.pds).host
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)])
  try {
    return await hosts.run(host, deadline, async () => {
      const url = `${item.pds}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(item.did)}`
      const idle = new AbortController()
      const request = AbortSignal.any([deadline, idle.signal])
      let timer = setTimeout(() => idle.abort(), options.idleTimeoutMs)
      const touch = () => {
        clearTimeout(timer)
        timer = setTimeout(() => idle.abort(), options.idleTimeoutMs)
      }
      try {
        const res = await fetch(url, { signal: request, headers: { accept: 'application/vnd.ipld.car' } })
        if (!res.ok || res.body === null) {
          throw await failedAnswer(res, host, hosts, options)
        }
        touch()
        const body = res.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              touch()
              controller.enqueue(chunk)
            },
          }),
        )
        return await consume(readRepo(body, item.did, options))
      } finally {
        clearTimeout(timer)
      }
    })
  } catch (err) {
    throw asItemError(err, item, signal)
  }
}

async function failedAnswer(
  res: Response,
  host: string,
  hosts: HostLimits,
  options: FetchRepoOptions,
): Promise<ItemError> {
  let text = ''
  try {
    text = (await res.text()).slice(0, 2000)
  } catch {
    // the body of an error answer is only for the message: its loss changes nothing
  }
  let error: string | undefined
  let message: string | undefined
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown }
    if (typeof json.error === 'string') error = json.error
    if (typeof json.message === 'string') message = json.message.slice(0, 300)
  } catch {
    // not JSON: the status alone decides
  }
  const what = `getRepo on ${host}: ${res.status}${error ? ` ${error}` : ''}${message ? `: ${message}` : ''}`
  if (res.status === 429 || res.status === 503) {
    const wait = retryAfterMs(res.headers, Date.now(), options.maxRetryAfterMs)
    if (wait !== undefined) hosts.backOff(host, wait)
    return new ItemError(res.status === 429 ? 'rate_limited' : 'server_error', what)
  }
  const known = error === undefined ? undefined : ERROR_REASONS[error]
  if (known !== undefined) return new ItemError(known, what)
  if (res.status === 404) return new ItemError('repo_not_found', what)
  if (res.status >= 500) return new ItemError('server_error', what)
  return new ItemError('bad_response', what)
}

function asItemError(err: unknown, item: WorkItem, signal: AbortSignal): ItemError | unknown {
  if (err instanceof ItemError) return err
  if (signal.aborted) return err // the run is stopping: not the item's fault
  if (err instanceof RepoError) return new ItemError(err.reason as RepoFailure, err.message, { cause: err })
  const name = (err as { name?: string })?.name
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ItemError('timeout', `getRepo ${item.did} on ${item.pds}: no answer in time`, { cause: err })
  }
  if (err instanceof TypeError) {
    // fetch's network failures are TypeErrors ("fetch failed") with the cause inside
    return new ItemError('network', `getRepo ${item.did} on ${item.pds}: ${describe(err)}`, { cause: err })
  }
  return err
}

function describe(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? err.message
}
