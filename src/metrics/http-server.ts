// /metrics, /healthz and /readyz on node:http.
import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'

export interface HealthState {
  /** true once the upstream is connected and the producer has broker metadata */
  ready(): boolean
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
