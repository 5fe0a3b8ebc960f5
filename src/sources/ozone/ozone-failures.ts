// What a failed answer from the moderator's PDS (or Ozone behind it) means for ozone-events:
// try again later, renew the session, stop for good, or a configuration problem that names
// the option to fix (exit 2 when it happens at start). Pure; the messages were checked
// against the real PDS and Ozone (test/integration/ozone-api.test.ts).

export type Failure =
  | { readonly kind: 'retry'; readonly message: string; readonly retryAfterMs?: number }
  /** the access token expired: refresh (or log in) and try again at once */
  | { readonly kind: 'session'; readonly message: string }
  | { readonly kind: 'config'; readonly problem: string }
  | { readonly kind: 'fatal'; readonly message: string }

export interface FailedAnswer {
  readonly status: number
  readonly error: string | undefined
  readonly message: string | undefined
  readonly retryAfterMs?: number | undefined
}

export interface FailureContext {
  readonly pdsHost: string
  readonly identifier: string
  readonly labelerDid: string
}

const describe = (a: FailedAnswer) =>
  `HTTP ${a.status}${a.error ? ` ${a.error}` : ''}${a.message ? `: ${a.message}` : ''}`

const transient = (a: FailedAnswer): boolean =>
  a.status === 408 || a.status === 429 || a.status >= 500 || a.error === 'UpstreamFailure'

const FLAGS = {
  pdsHost: '--pds-host / ATKAFKA_OZONE_PDS_HOST',
  identifier: '--identifier / ATKAFKA_OZONE_IDENTIFIER',
  password: '--password / ATKAFKA_OZONE_PASSWORD',
  labelerDid: '--labeler-did / ATKAFKA_OZONE_LABELER_DID',
} as const

/** com.atproto.server.createSession */
export function loginFailure(a: FailedAnswer, ctx: FailureContext): Failure {
  if (transient(a)) return { kind: 'retry', message: `login: ${describe(a)}`, retryAfterMs: a.retryAfterMs }
  if (a.error === 'AuthFactorTokenRequired') {
    return {
      kind: 'config',
      problem: `${FLAGS.password}: the account ${ctx.identifier} needs a second factor (email code) to log in; give atkafka an app password`,
    }
  }
  if (a.error === 'AccountTakedown' || a.error === 'AccountDeactivated') {
    return {
      kind: 'config',
      problem: `${FLAGS.identifier}: ${ctx.identifier} cannot log in on ${ctx.pdsHost} (${describe(a)})`,
    }
  }
  if (a.status === 401 || a.status === 400) {
    return {
      kind: 'config',
      problem: `${FLAGS.identifier} / ${FLAGS.password}: ${ctx.pdsHost} refused the login of ${ctx.identifier} (${describe(a)})`,
    }
  }
  if (a.status === 404) {
    return {
      kind: 'config',
      problem: `${FLAGS.pdsHost}: ${ctx.pdsHost} has no com.atproto.server.createSession (${describe(a)}); is it a PDS?`,
    }
  }
  return { kind: 'fatal', message: `login on ${ctx.pdsHost}: ${describe(a)}` }
}

/** tools.ozone.moderation.queryEvents through the PDS proxy */
export function queryFailure(a: FailedAnswer, ctx: FailureContext): Failure {
  if (a.error === 'ExpiredToken' || (a.status === 401 && a.error === 'InvalidToken')) {
    return { kind: 'session', message: describe(a) }
  }
  if (transient(a))
    return { kind: 'retry', message: `queryEvents: ${describe(a)}`, retryAfterMs: a.retryAfterMs }
  const message = a.message ?? ''
  if (a.status === 400 && /could not resolve proxy did service url/i.test(message)) {
    return {
      kind: 'config',
      problem: `${FLAGS.labelerDid}: ${ctx.labelerDid} is not a labeler: its DID document has no #atproto_labeler service (${describe(a)})`,
    }
  }
  if (a.status === 400 && /could not resolve proxy did/i.test(message)) {
    return {
      kind: 'config',
      problem: `${FLAGS.labelerDid}: ${ctx.pdsHost} cannot resolve ${ctx.labelerDid} (${describe(a)})`,
    }
  }
  if (a.status === 401 || a.status === 403) {
    if (/moderator/i.test(message) || a.error === 'AuthenticationRequired' || a.status === 403) {
      return {
        kind: 'config',
        problem: `${FLAGS.identifier}: ${ctx.identifier} may not read the moderation events of ${ctx.labelerDid} (${describe(a)}); it must be a moderator (or admin) of that Ozone`,
      }
    }
    return { kind: 'session', message: describe(a) }
  }
  if (a.status === 404 || a.error === 'MethodNotImplemented') {
    return {
      kind: 'config',
      problem: `${FLAGS.labelerDid}: the service of ${ctx.labelerDid} does not answer tools.ozone.moderation.queryEvents (${describe(a)}); is it an Ozone?`,
    }
  }
  // Malformed cursor, invalid parameters: a bug on our side, retrying cannot help
  return { kind: 'fatal', message: `queryEvents: ${describe(a)}` }
}

/** com.atproto.server.refreshSession: any refusal means "log in again" */
export function refreshFailure(a: FailedAnswer): Failure {
  if (transient(a))
    return { kind: 'retry', message: `refreshSession: ${describe(a)}`, retryAfterMs: a.retryAfterMs }
  return { kind: 'session', message: `refreshSession: ${describe(a)}` }
}
