// The identity lookups' HTTP GET against a loopback server: statuses, the size cap (declared
// and streamed), bodies that are not JSON, the caller's deadline, and keep-alive reuse.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { createJsonGetter, HttpJsonError } from '../../../src/identity/http-json.ts'

const sockets = new Set<unknown>()
const accepts: string[] = []
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  accepts.push(req.headers.accept ?? '')
  sockets.add(req.socket)
  switch (req.url) {
    case '/doc':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"did:plc:x","é":"ü"}')
      break
    case '/missing':
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"DID not registered"}')
      break
    case '/big-declared':
      res.writeHead(200, { 'content-length': '5000' }).end(`"${'x'.repeat(4998)}"`)
      break
    case '/big-chunked':
      // a JSON string of 10,000 bytes, sent without a content-length
      res.writeHead(200)
      res.write('"')
      for (let i = 0; i < 10; i++) res.write('x'.repeat(i === 9 ? 998 : 1000))
      res.end('"')
      break
    case '/not-json':
      res.writeHead(200).end('<html>')
      break
    case '/redirect':
      res.writeHead(302, { location: '/doc' }).end()
      break
    case '/hang':
      break
  }
})
let base = ''
before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => {
  server.closeAllConnections()
  server.close()
})

const getJson = createJsonGetter()
const get = (path: string, maxBytes = 1024, signal = AbortSignal.timeout(5000)) =>
  getJson(`${base}${path}`, { signal, accept: 'application/did+json', maxBytes })

test('a 2xx answer gives its parsed body; the accept header is sent', async () => {
  assert.deepEqual(await get('/doc'), { status: 200, body: { id: 'did:plc:x', é: 'ü' } })
  assert.equal(accepts.at(-1), 'application/did+json')
})

test('other statuses give the status and no body; redirects are not followed', async () => {
  assert.deepEqual(await get('/missing'), { status: 404, body: undefined })
  assert.deepEqual(await get('/redirect'), { status: 302, body: undefined })
})

test('a body over the cap rejects, whether declared or streamed', async () => {
  await assert.rejects(get('/big-declared', 4096), (err: Error) => {
    assert.ok(err instanceof HttpJsonError)
    assert.match(err.message, /5000 bytes exceeds 4096/)
    return true
  })
  await assert.rejects(get('/big-chunked', 4096), /exceeds 4096 bytes/)
  // the same answer fits under a larger cap
  assert.equal(((await get('/big-chunked', 20_000)).body as string).length, 9_998)
})

test('a body that is not JSON rejects', async () => {
  await assert.rejects(get('/not-json'), /not JSON/)
})

test('the deadline aborts a request that gets no answer', async () => {
  const signal = AbortSignal.timeout(100)
  await assert.rejects(get('/hang', 1024, signal), (err: Error) => {
    assert.ok(err instanceof HttpJsonError)
    assert.equal((err.cause as Error).name, 'AbortError')
    return true
  })
  assert.equal(signal.aborted, true)
})

test('sequential requests reuse one keep-alive connection', async () => {
  const fresh = createJsonGetter()
  sockets.clear()
  for (let i = 0; i < 5; i++)
    await fresh(`${base}/doc`, { signal: AbortSignal.timeout(5000), accept: '*/*', maxBytes: 1024 })
  assert.equal(sockets.size, 1)
})
