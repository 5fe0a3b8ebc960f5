// One XRPC call over fetch, bounded in time and bytes. An HTTP answer (any status) is returned
// as a value; only a transport failure (refused, reset, timeout, oversized body) throws.
// Nothing of the request body is ever put in an error (it may hold a password).

export interface XrpcRequest {
  /** https://pds.example.com (no trailing slash needed) */
  readonly baseUrl: string
  readonly method: string
  readonly params?: Readonly<Record<string, string | number | undefined>>
  /** JSON body: the call is a POST */
  readonly body?: unknown
  /** a POST without a body (a procedure without input, e.g. refreshSession) */
  readonly post?: boolean
  readonly token?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs: number
  /** a larger answer is a transport failure */
  readonly maxBytes: number
  readonly signal?: AbortSignal
}

export type XrpcResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | {
      readonly ok: false
      readonly status: number
      /** the XRPC error name (ExpiredToken, InvalidRequest, …) when the server sent one */
      readonly error: string | undefined
      readonly message: string | undefined
      /** from Retry-After or RateLimit-Reset, when present */
      readonly retryAfterMs: number | undefined
    }

export class XrpcTransportError extends Error {
  override readonly name = 'XrpcTransportError'
}

export type XrpcCall = (request: XrpcRequest) => Promise<XrpcResult>

export const xrpcCall: XrpcCall = async (request) => {
  const url = new URL(`/xrpc/${request.method}`, request.baseUrl)
  for (const [k, v] of Object.entries(request.params ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v))
  }
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers }
  if (request.token) headers.authorization = `Bearer ${request.token}`
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  const timeout = AbortSignal.timeout(request.timeoutMs)
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout
  let text: string
  let res: Response
  try {
    res = await fetch(url, {
      method: request.body !== undefined || request.post ? 'POST' : 'GET',
      headers,
      body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
      signal,
    })
    text = await readBounded(res, request.maxBytes)
  } catch (err) {
    const why = timeout.aborted
      ? `no answer within ${request.timeoutMs} ms`
      : request.signal?.aborted
        ? 'aborted'
        : ((err as Error).message ?? String(err))
    throw new XrpcTransportError(`${request.method} on ${url.origin}: ${why}`, { cause: err })
  }
  let body: unknown
  try {
    body = text === '' ? {} : JSON.parse(text)
  } catch {
    body = undefined
  }
  if (res.ok) {
    if (body === undefined) {
      throw new XrpcTransportError(
        `${request.method} on ${url.origin}: HTTP ${res.status} with a body that is not JSON`,
      )
    }
    return { ok: true, status: res.status, body }
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown }
  return {
    ok: false,
    status: res.status,
    error: typeof b.error === 'string' ? b.error : undefined,
    message:
      typeof b.message === 'string'
        ? b.message.slice(0, 500)
        : body === undefined
          ? text.slice(0, 200)
          : undefined,
    retryAfterMs: retryAfter(res.headers),
  }
}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length
    if (total > maxBytes) throw new Error(`answer larger than ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Retry-After (seconds) or RateLimit-Reset (epoch seconds, as atproto servers send it) */
function retryAfter(headers: Headers, nowMs = Date.now()): number | undefined {
  const after = headers.get('retry-after')
  if (after && /^\d+$/.test(after.trim())) return Number(after) * 1000
  const reset = headers.get('ratelimit-reset')
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - nowMs)
  return undefined
}
