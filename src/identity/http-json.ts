// GET a JSON document over node:http(s) with keep-alive, a size cap and the caller's deadline.
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

export class HttpJsonError extends Error {}

export type GetJson = (
  url: string,
  options: { readonly signal: AbortSignal; readonly accept: string; readonly maxBytes: number },
) => Promise<JsonAnswer>

export function createJsonGetter(): GetJson {
  // one pool of sockets per protocol; a lookup burst opens at most this many per host
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
  }
  return (url, { signal, accept, maxBytes }) =>
    new Promise<JsonAnswer>((resolve, reject) => {
      const target = new URL(url)
      const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:']
      const request = target.protocol === 'https:' ? https.request : http.request
      const req = request(target, { agent, signal, headers: { accept } }, (res) => {
        const status = res.statusCode ?? 0
        if (status < 200 || status > 299) {
          res.resume()
          resolve({ status, body: undefined })
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
          try {
            const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()
            resolve({ status, body: JSON.parse(text) })
          } catch (err) {
            reject(new HttpJsonError(`${url}: body is not JSON`, { cause: err }))
          }
        })
      })
      req.on('error', (err) => reject(new HttpJsonError(`${url}: request failed`, { cause: err })))
      req.end()
    })
}
