// GET a JSON document (or a short text) over node:http(s) with keep-alive, a size cap and the
// caller's deadline.
// The identity lookups' HTTP edge: a re-resolution after every #identity event is on the hot
// path, and `fetch` (WHATWG streams, TextDecoderStream) cost ~2.3x the CPU per request of this
// (docs/performance.md). Redirects are not followed: a 3xx is an answer like any other status.
import http from 'node:http'
import https from 'node:https'

interface JsonAnswer {
  readonly status: number
  /** the parsed body of a 2xx answer; undefined otherwise (the body is discarded) */
  readonly body: unknown
}

interface TextAnswer {
  readonly status: number
  /** the body of a 2xx answer as UTF-8; undefined otherwise (the body is discarded) */
  readonly text: string | undefined
}

export class HttpJsonError extends Error {}

export type GetJson = (
  url: string,
  options: { readonly signal: AbortSignal; readonly accept: string; readonly maxBytes: number },
) => Promise<JsonAnswer>

export type GetText = (
  url: string,
  options: {
    readonly signal: AbortSignal
    readonly accept: string
    readonly maxBytes: number
    /** the Host header, when it is not the URL's host (a name served at another address) */
    readonly host?: string
  },
) => Promise<TextAnswer>

export function createJsonGetter(): GetJson {
  const getText = createTextGetter()
  return async (url, options) => {
    const { status, text } = await getText(url, options)
    if (text === undefined) return { status, body: undefined }
    try {
      return { status, body: JSON.parse(text) }
    } catch (err) {
      throw new HttpJsonError(`${url}: body is not JSON`, { cause: err })
    }
  }
}

export function createTextGetter(): GetText {
  // one pool of sockets per protocol; a lookup burst opens at most this many per host
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
  }
  return (url, { signal, accept, maxBytes, host }) =>
    new Promise<TextAnswer>((resolve, reject) => {
      const target = new URL(url)
      const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:']
      const request = target.protocol === 'https:' ? https.request : http.request
      const headers = host === undefined ? { accept } : { accept, host }
      const req = request(target, { agent, signal, headers }, (res) => {
        const status = res.statusCode ?? 0
        if (status < 200 || status > 299) {
          res.resume()
          resolve({ status, text: undefined })
          return
        }
        const declared = Number(res.headers['content-length'])
        if (declared > maxBytes) {
          res.destroy()
          reject(new HttpJsonError(`${url}: body of ${declared} bytes exceeds ${maxBytes}`))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > maxBytes) {
            res.destroy()
            reject(new HttpJsonError(`${url}: body exceeds ${maxBytes} bytes`))
          } else chunks.push(chunk)
        })
        res.on('error', (err) => reject(new HttpJsonError(`${url}: reading the body failed`, { cause: err })))
        res.on('end', () => {
          if (size > maxBytes) return
          resolve({
            status,
            text: chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString(),
          })
        })
      })
      req.on('error', (err) => reject(new HttpJsonError(`${url}: request failed`, { cause: err })))
      req.end()
    })
}
