// Drives a real Ozone the way moderators and users do: through their PDS, which proxies
// `tools.ozone.*` and `com.atproto.moderation.createReport` to the labeler named in the
// `atproto-proxy: <labeler did>#atproto_labeler` header (on fetch, no @atproto/api).
// Every moderation action here is a real emitEvent; what it returns is Ozone's ModEventView.
// The calls go through PdsClient.call (pds-client.ts); a failed one throws its XrpcError.
import { PdsClient, type Session } from './pds-client.ts'

export type PdsSession = Session

/** tools.ozone.moderation.defs#modEventView as Ozone returns it (JSON) */
export interface ModEventView {
  id: number
  event: { $type: string; [k: string]: unknown }
  subject: { $type: string; did?: string; uri?: string; cid?: string; [k: string]: unknown }
  subjectBlobCids: string[]
  createdBy: string
  createdAt: string
  creatorHandle?: string
  subjectHandle?: string
  modTool?: { name: string; meta?: unknown }
}

export interface QueryEventsOutput {
  cursor?: string
  events: ModEventView[]
}

export type Subject =
  | { $type: 'com.atproto.admin.defs#repoRef'; did: string }
  | { $type: 'com.atproto.repo.strongRef'; uri: string; cid: string }

export const repoRef = (did: string): Subject => ({ $type: 'com.atproto.admin.defs#repoRef', did })

const DEFS = 'tools.ozone.moderation.defs'

export class OzoneDriver {
  readonly pdsUrl: string
  readonly labelerDid: string
  private readonly pds: PdsClient

  constructor(pdsUrl: string, labelerDid: string) {
    this.pdsUrl = pdsUrl
    this.labelerDid = labelerDid
    this.pds = new PdsClient(pdsUrl)
  }

  get proxyHeader(): string {
    return `${this.labelerDid}#atproto_labeler`
  }

  /** a raw XRPC call on the PDS (GET without a body); `proxy` adds the atproto-proxy header */
  call<T>(
    method: string,
    opts: {
      token?: string
      params?: Record<string, string | number | boolean | readonly string[] | undefined>
      body?: unknown
      proxy?: boolean | string
    } = {},
  ): Promise<T> {
    return this.pds.call<T>(method, {
      token: opts.token,
      params: opts.params,
      body: opts.body,
      query: opts.body === undefined,
      headers: opts.proxy ? { 'atproto-proxy': opts.proxy === true ? this.proxyHeader : opts.proxy } : {},
    })
  }

  login(identifier: string, password: string): Promise<PdsSession> {
    return this.call<PdsSession>('com.atproto.server.createSession', { body: { identifier, password } })
  }

  queryEvents(
    session: PdsSession,
    params: Record<string, string | number | boolean | readonly string[] | undefined> = {},
  ): Promise<QueryEventsOutput> {
    return this.call<QueryEventsOutput>('tools.ozone.moderation.queryEvents', {
      token: session.accessJwt,
      params,
      proxy: true,
    })
  }

  /** every event, oldest first, paging with the response cursor */
  async allEvents(session: PdsSession): Promise<ModEventView[]> {
    const all: ModEventView[] = []
    let cursor: string | undefined
    for (;;) {
      const page = await this.queryEvents(session, { sortDirection: 'asc', limit: 100, cursor })
      all.push(...page.events)
      if (page.events.length === 0 || !page.cursor) return all
      cursor = page.cursor
    }
  }

  emit(
    moderator: PdsSession,
    event: { $type: string; [k: string]: unknown },
    subject: Subject,
    extra: { subjectBlobCids?: string[]; modTool?: { name: string; meta?: unknown } } = {},
  ): Promise<ModEventView> {
    return this.call<ModEventView>('tools.ozone.moderation.emitEvent', {
      token: moderator.accessJwt,
      proxy: true,
      body: { event, subject, createdBy: moderator.did, ...extra },
    })
  }

  /**
   * emitEvent straight at Ozone with its admin password (HTTP Basic `admin:<password>`), as
   * Ozone's own tools may: no PDS hop, so a burst of hundreds lands within a second
   */
  emitDirect(
    ozone: { url: string; adminPassword: string },
    createdBy: string,
    event: { $type: string; [k: string]: unknown },
    subject: Subject,
  ): Promise<ModEventView> {
    return new PdsClient(ozone.url, { adminPassword: ozone.adminPassword }).call<ModEventView>(
      'tools.ozone.moderation.emitEvent',
      { admin: true, body: { event, subject, createdBy } },
    )
  }

  /** a user's report, sent through the user's PDS to the labeler (as the Bluesky app does) */
  report(
    user: PdsSession,
    subject: Subject,
    reasonType = 'com.atproto.moderation.defs#reasonSpam',
    reason?: string,
  ): Promise<{ id: number }> {
    return this.call<{ id: number }>('com.atproto.moderation.createReport', {
      token: user.accessJwt,
      proxy: true,
      body: { reasonType, subject, ...(reason ? { reason } : {}) },
    })
  }

  comment(m: PdsSession, s: Subject, comment: string, sticky = false) {
    return this.emit(m, { $type: `${DEFS}#modEventComment`, comment, sticky }, s)
  }
  takedown(m: PdsSession, s: Subject, comment = 'takedown', durationInHours?: number) {
    return this.emit(
      m,
      { $type: `${DEFS}#modEventTakedown`, comment, ...(durationInHours ? { durationInHours } : {}) },
      s,
    )
  }
  reverseTakedown(m: PdsSession, s: Subject, comment = 'reverse takedown') {
    return this.emit(m, { $type: `${DEFS}#modEventReverseTakedown`, comment }, s)
  }
  label(m: PdsSession, s: Subject, createLabelVals: string[], negateLabelVals: string[] = []) {
    return this.emit(m, { $type: `${DEFS}#modEventLabel`, createLabelVals, negateLabelVals }, s)
  }
  acknowledge(m: PdsSession, s: Subject, comment = 'acknowledged') {
    return this.emit(m, { $type: `${DEFS}#modEventAcknowledge`, comment }, s)
  }
  escalate(m: PdsSession, s: Subject, comment = 'escalated') {
    return this.emit(m, { $type: `${DEFS}#modEventEscalate`, comment }, s)
  }
  tag(m: PdsSession, s: Subject, add: string[], remove: string[] = []) {
    return this.emit(m, { $type: `${DEFS}#modEventTag`, add, remove }, s)
  }
  mute(m: PdsSession, s: Subject, durationInHours = 24) {
    return this.emit(m, { $type: `${DEFS}#modEventMute`, durationInHours }, s)
  }
  unmute(m: PdsSession, s: Subject) {
    return this.emit(m, { $type: `${DEFS}#modEventUnmute` }, s)
  }
  muteReporter(m: PdsSession, did: string, durationInHours = 24) {
    return this.emit(m, { $type: `${DEFS}#modEventMuteReporter`, durationInHours }, repoRef(did))
  }
  resolveAppeal(m: PdsSession, s: Subject, comment = 'appeal resolved') {
    return this.emit(m, { $type: `${DEFS}#modEventResolveAppeal`, comment }, s)
  }
}
