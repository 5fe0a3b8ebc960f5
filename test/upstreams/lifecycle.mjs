// The life of a test upstream server process (pds/pds-server.mjs, ozone/ozone-server.mjs): its
// stdout carries only JSON lines (the ready line first), and it never outlives the test run
// that started it. Shared by two separate npm packages through a relative import, so it uses
// node: builtins only.
import net from 'node:net'

/** pino writes to stdout unless told otherwise: logs (LOG_ENABLED=true) go to stderr */
export function logsToStderr() {
  if (/^(true|t|1)$/i.test(process.env.LOG_ENABLED ?? '') && !process.env.LOG_DESTINATION) {
    process.env.LOG_DESTINATION = '/dev/stderr'
  }
}

/**
 * Returns `stop(code, why)`: runs `cleanup` once (never hanging: the process exits after 5 s
 * whatever it does) and exits with `code`. Called on SIGTERM/SIGINT/SIGHUP, when stdin closes
 * (unless `ignoreStdin`: the parent holds the other end, so a killed parent closes it), and when
 * the parent process dies (re-parenting to init or a subreaper is polled).
 */
export function stopWithParent({ name, ignoreStdin = false, cleanup }) {
  const parentPid = process.ppid
  let stopping = false
  const stop = async (code = 0, why = '') => {
    if (stopping) return
    stopping = true
    if (why) console.error(`${name}: stopping (${why})`)
    setTimeout(() => process.exit(code), 5000).unref()
    await cleanup()
    process.exit(code)
  }
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'))
  process.on('SIGINT', () => void stop(0, 'SIGINT'))
  process.on('SIGHUP', () => void stop(0, 'SIGHUP'))
  if (!ignoreStdin) {
    process.stdin.on('end', () => void stop(0, 'stdin closed'))
    process.stdin.on('error', () => void stop(0, 'stdin error'))
    process.stdin.resume()
  }
  setInterval(() => {
    if (process.ppid !== parentPid) void stop(0, 'parent exited')
  }, 500).unref()
  return stop
}

/** A port that was free a moment ago (a server that writes its URL into DID documents must
 * know its port before it listens). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** The ready line: `{"ready":true,…fields,"pid":…,"importMs":…,"startMs":…,"rssMB":…}` on stdout. */
export function printReady(fields, { t0, tImported }) {
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      ...fields,
      pid: process.pid,
      importMs: Math.round(tImported - t0),
      startMs: Math.round(performance.now() - t0),
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    })}\n`,
  )
}
