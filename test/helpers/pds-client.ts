// A small typed XRPC driver for the local PDS (test/helpers/local-pds.ts), on fetch: enough
// to make a PDS emit every kind of firehose event without pulling @atproto/api into the
// product's dependencies. Its call() also carries the Ozone driver's calls (ozone-driver.ts).
//
// Quirks of the real PDS (@atproto/pds 0.5.x):
// - com.atproto.server.activateAccount must be sent with no body at all (a JSON body,
//   even `{}`, is rejected);
// - an applyWrites batch that deletes a record missing from the repo answers HTTP 500;
// - handles must be under the PDS's service domain (`.test` here); reserved TLDs (.local,
//   .example, …) also make DID resolution fail in Go tools such as Tap.

export interface Session {
  did: string
  handle: string
  accessJwt: string
  refreshJwt: string
}

export interface CreateAccountOptions {
  email?: string
  password?: string
}

export interface WriteResult {
  uri: string
  cid: string
  /** the record key (last segment of the uri) */
  rkey: string
  /** rev of the commit that carried the write */
  rev: string
}

export interface RecordValue {
  $type?: string
  [key: string]: unknown
}

export type ApplyWrite =
  | { action: 'create'; collection: string; rkey?: string; value: RecordValue }
  | { action: 'update'; collection: string; rkey: string; value: RecordValue }
  | { action: 'delete'; collection: string; rkey: string }

export interface ApplyWritesResult {
  commit: { cid: string; rev: string }
  results: ({ uri: string; cid: string; rkey: string } | { rkey: undefined })[]
}

export interface GetRecordResult<T = RecordValue> {
  uri: string
  cid: string
  value: T
}

export interface BlobRef {
  $type: 'blob'
  ref: { $link: string }
  mimeType: string
  size: number
}

export class XrpcError extends Error {
  readonly method: string
  readonly status: number
  /** the XRPC error name (`RecordNotFound`, `InvalidRequest`, …) when the PDS sent one */
  readonly error: string | undefined
  readonly body: string

  constructor(method: string, status: number, body: string) {
    let error: string | undefined
    let message = body
    try {
      const parsed = JSON.parse(body) as { error?: string; message?: string }
      error = parsed.error
      message = parsed.message ?? parsed.error ?? body
    } catch {
      // not JSON
    }
    super(`${method} -> HTTP ${status}${error ? ` ${error}` : ''}: ${message}`)
    this.name = 'XrpcError'
    this.method = method
    this.status = status
    this.error = error
    this.body = body
  }
}

interface CallOptions {
  token?: string
  admin?: boolean
  /** query parameters; a list repeats the parameter, undefined leaves it out */
  params?: Record<string, string | number | boolean | readonly string[] | undefined>
  /** more request headers (e.g. atproto-proxy) */
  headers?: Record<string, string>
  /** JSON body; absent: no body at all */
  body?: unknown
  raw?: { bytes: Uint8Array; contentType: string }
  /** GET instead of POST */
  query?: boolean
}

const rkeyOf = (uri: string): string => uri.slice(uri.lastIndexOf('/') + 1)

export class PdsClient {
  readonly pdsUrl: string
  readonly adminPassword: string | undefined

  constructor(pdsUrl: string, opts: { adminPassword?: string } = {}) {
    this.pdsUrl = pdsUrl
    this.adminPassword = opts.adminPassword
  }

  /** Raw XRPC call: POST (or GET with `query`) `/xrpc/<method>`; throws XrpcError on non-2xx. */
  async call<T>(method: string, opts: CallOptions = {}): Promise<T> {
    const url = new URL(`/xrpc/${method}`, this.pdsUrl)
    for (const [k, v] of Object.entries(opts.params ?? {})) {
      if (v === undefined) continue
      for (const x of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(x))
    }
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`
    if (opts.admin) {
      if (!this.adminPassword) throw new Error(`${method}: an admin call needs adminPassword`)
      headers.authorization = `Basic ${Buffer.from(`admin:${this.adminPassword}`).toString('base64')}`
    }
    let payload: string | Uint8Array<ArrayBuffer> | undefined
    if (opts.raw) {
      payload = opts.raw.bytes as Uint8Array<ArrayBuffer>
      headers['content-type'] = opts.raw.contentType
    } else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body)
      headers['content-type'] = 'application/json'
    }
    const res = await fetch(url, { method: opts.query ? 'GET' : 'POST', headers, body: payload })
    const text = await res.text()
    if (!res.ok) throw new XrpcError(method, res.status, text)
    return (text ? JSON.parse(text) : {}) as T
  }

  /** com.atproto.server.createAccount: `handle` like `alice.test`. */
  async createAccount(handle: string, opts: CreateAccountOptions = {}): Promise<Session> {
    const name = handle.split('.')[0] ?? handle
    const res = await this.call<Session>('com.atproto.server.createAccount', {
      body: { handle, email: opts.email ?? `${name}@example.com`, password: opts.password ?? 'hunter2-test' },
    })
    return { did: res.did, handle: res.handle, accessJwt: res.accessJwt, refreshJwt: res.refreshJwt }
  }

  /** com.atproto.repo.createRecord (`$type` defaults to the collection). */
  async createRecord(
    session: Session,
    collection: string,
    record: RecordValue,
    opts: { rkey?: string; validate?: boolean } = {},
  ): Promise<WriteResult> {
    const res = await this.call<{ uri: string; cid: string; commit: { rev: string } }>(
      'com.atproto.repo.createRecord',
      {
        token: session.accessJwt,
        body: {
          repo: session.did,
          collection,
          rkey: opts.rkey,
          validate: opts.validate,
          record: typed(collection, record),
        },
      },
    )
    return { uri: res.uri, cid: res.cid, rkey: rkeyOf(res.uri), rev: res.commit.rev }
  }

  /** com.atproto.repo.putRecord: create or replace at `rkey`. */
  async putRecord(
    session: Session,
    collection: string,
    rkey: string,
    record: RecordValue,
    opts: { swapRecord?: string; validate?: boolean } = {},
  ): Promise<WriteResult> {
    const res = await this.call<{ uri: string; cid: string; commit: { rev: string } }>(
      'com.atproto.repo.putRecord',
      {
        token: session.accessJwt,
        body: {
          repo: session.did,
          collection,
          rkey,
          validate: opts.validate,
          swapRecord: opts.swapRecord,
          record: typed(collection, record),
        },
      },
    )
    return { uri: res.uri, cid: res.cid, rkey, rev: res.commit.rev }
  }

  /** com.atproto.repo.deleteRecord; resolves to the commit rev (undefined if nothing was deleted). */
  async deleteRecord(
    session: Session,
    collection: string,
    rkey: string,
  ): Promise<{ rev: string | undefined }> {
    const res = await this.call<{ commit?: { rev: string } }>('com.atproto.repo.deleteRecord', {
      token: session.accessJwt,
      body: { repo: session.did, collection, rkey },
    })
    return { rev: res.commit?.rev }
  }

  /** com.atproto.repo.applyWrites: several writes in one commit. */
  async applyWrites(session: Session, writes: ApplyWrite[]): Promise<ApplyWritesResult> {
    const res = await this.call<{
      commit: { cid: string; rev: string }
      results?: { uri?: string; cid?: string }[]
    }>('com.atproto.repo.applyWrites', {
      token: session.accessJwt,
      body: {
        repo: session.did,
        writes: writes.map((w) =>
          w.action === 'delete'
            ? { $type: 'com.atproto.repo.applyWrites#delete', collection: w.collection, rkey: w.rkey }
            : {
                $type: `com.atproto.repo.applyWrites#${w.action}`,
                collection: w.collection,
                rkey: w.rkey,
                value: typed(w.collection, w.value),
              },
        ),
      },
    })
    return {
      commit: res.commit,
      results: (res.results ?? []).map((r) =>
        r.uri && r.cid ? { uri: r.uri, cid: r.cid, rkey: rkeyOf(r.uri) } : { rkey: undefined },
      ),
    }
  }

  /** com.atproto.identity.updateHandle (emits #identity); updates `session.handle`. */
  async updateHandle(session: Session, handle: string): Promise<void> {
    await this.call('com.atproto.identity.updateHandle', { token: session.accessJwt, body: { handle } })
    session.handle = handle
  }

  /** com.atproto.server.deactivateAccount (emits #account active=false). */
  async deactivateAccount(session: Session, opts: { deleteAfter?: string } = {}): Promise<void> {
    await this.call('com.atproto.server.deactivateAccount', { token: session.accessJwt, body: { ...opts } })
  }

  /** com.atproto.server.activateAccount — sent with no body (the PDS rejects one). */
  async activateAccount(session: Session): Promise<void> {
    await this.call('com.atproto.server.activateAccount', { token: session.accessJwt })
  }

  /** com.atproto.admin.deleteAccount (admin auth): removes the account and purges its events. */
  async adminDeleteAccount(did: string): Promise<void> {
    await this.call('com.atproto.admin.deleteAccount', { admin: true, body: { did } })
  }

  /** com.atproto.repo.uploadBlob: a blob ref to put in a record (e.g. an image embed). */
  async uploadBlob(session: Session, bytes: Uint8Array, mimeType: string): Promise<BlobRef> {
    const res = await this.call<{ blob: BlobRef }>('com.atproto.repo.uploadBlob', {
      token: session.accessJwt,
      raw: { bytes, contentType: mimeType },
    })
    return res.blob
  }

  /** com.atproto.repo.getRecord (no auth); throws XrpcError (error `RecordNotFound`) if absent. */
  async getRecord<T = RecordValue>(
    repo: string,
    collection: string,
    rkey: string,
  ): Promise<GetRecordResult<T>> {
    return this.call<GetRecordResult<T>>('com.atproto.repo.getRecord', {
      query: true,
      params: { repo, collection, rkey },
    })
  }
}

function typed(collection: string, record: RecordValue): RecordValue {
  return record.$type ? record : { $type: collection, ...record }
}
