// /metrics, /healthz, /readyz, and the status page (/ with /status.js, /status.json) on node:http.
import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { STATUS_PAGE_HTML, STATUS_PAGE_JS } from '../status/status-page.ts'

export interface HealthState {
  /** true once the upstream is connected and the producer has broker metadata */
  ready(): boolean
  /** what /status.json answers (the status page polls it) */
  status(): unknown
}

// the page loads nothing but its own script and JSON
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
}

export interface MetricsServer extends AsyncDisposable {
  readonly port: number
  close(): Promise<void>
}

export async function startMetricsServer(
  address: { host: string; port: number },
  registry: Registry,
  health: HealthState,
  logger: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType })
          res.end(body)
        },
        (err: unknown) => {
          logger.error({ err }, 'metrics collection failed')
          res.writeHead(500).end()
        },
      )
    } else if (path === '/') {
      res
        .writeHead(200, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' })
        .end(STATUS_PAGE_HTML)
    } else if (path === '/status.js') {
      res
        .writeHead(200, { ...PAGE_HEADERS, 'content-type': 'text/javascript; charset=utf-8' })
        .end(STATUS_PAGE_JS)
    } else if (path === '/status.json') {
      let body: string
      try {
        body = `${JSON.stringify(health.status(), null, 2)}\n`
      } catch (err) {
        // a status that cannot be built is a bug to see in the logs; the run goes on
        logger.error({ err }, 'status report failed')
        res.writeHead(500).end()
        return
      }
      res.writeHead(200, { ...PAGE_HEADERS, 'content-type': 'application/json' }).end(body)
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/readyz') {
      const ready = health.ready()
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ready ? 'ready\n' : 'not ready\n')
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new Error(`metrics server cannot listen; address=${address.host}:${address.port}`, { cause: err }),
      ),
    )
    server.listen(address.port, address.host, () => resolve())
  })
  const port = (server.address() as { port: number }).port
  logger.info({ address: `${address.host}:${port}` }, 'metrics server listening')
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return { port, close, [Symbol.asyncDispose]: close }
}
