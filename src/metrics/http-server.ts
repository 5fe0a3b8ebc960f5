// The ops HTTP server on node:http: /metrics (Prometheus), /healthz, /readyz, and the routes
// other parts serve beside them (the status page: src/status/status-service.ts).
import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'

/** A GET route: its response headers and body, built per request. */
export interface Route {
  readonly headers: Readonly<Record<string, string>>
  body(): string
}

export interface OpsServer {
  readonly port: number
  close(): Promise<void>
}

export async function startOpsServer(
  address: { host: string; port: number },
  options: {
    readonly registry: Registry
    /** /readyz: true once the upstream is connected and the producer has broker metadata */
    readonly ready: () => boolean
    readonly routes: Readonly<Record<string, Route>>
  },
  logger: Logger,
): Promise<OpsServer> {
  const { registry, ready, routes } = options
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const route = routes[path]
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
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/readyz') {
      const isReady = ready()
      res
        .writeHead(isReady ? 200 : 503, { 'content-type': 'text/plain' })
        .end(isReady ? 'ready\n' : 'not ready\n')
    } else if (route) {
      let body: string
      try {
        body = route.body()
      } catch (err) {
        // a page that cannot be built is a bug to see in the logs; the run goes on
        logger.error({ err, path }, 'building a response failed')
        res.writeHead(500).end()
        return
      }
      res.writeHead(200, route.headers).end(body)
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
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
