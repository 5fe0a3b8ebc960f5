// A throwaway PostgreSQL cluster for tests (the real Ozone keeps its data in it): started by
// scripts/pg-cluster.sh in a temp dir on a free port as an unprivileged user, with a watchdog
// on this process so that it stops (and its dir goes) even when the test process is killed.
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv, promisify } from 'node:util'

const run = promisify(execFile)
const script = join(import.meta.dirname, '..', '..', 'scripts', 'pg-cluster.sh')

export interface PgCluster extends AsyncDisposable {
  /** postgresql://atkafka@127.0.0.1:PORT/postgres (trust auth) */
  readonly url: string
  readonly port: number
  /** a URL of the same cluster for another database (created with createDatabase) */
  urlFor(database: string): string
  createDatabase(name: string): Promise<string>
  /** runs SQL with psql and returns its unaligned output */
  sql(statement: string, database?: string): Promise<string>
  /**
   * opens a transaction, runs `statement` in it (e.g. a SELECT … FOR UPDATE) and keeps it open
   * until the returned function commits it: what a slow concurrent writer looks like
   */
  holdTransaction(statement: string, database?: string): Promise<() => Promise<void>>
  stop(): Promise<void>
}

export async function startPgCluster(): Promise<PgCluster> {
  const work = mkdtempSync(join(tmpdir(), 'atkafka-pg-'))
  try {
    await run('bash', [script, 'start', work, String(process.pid)])
  } catch (err) {
    const e = err as { stderr?: string }
    throw new Error(`pg-cluster: start failed\n${e.stderr ?? ''}`, { cause: err })
  }
  const env = parseEnv(readFileSync(join(work, 'env'), 'utf8'))
  const url = env.PG_URL as string
  const port = Number(env.PG_PORT)
  const urlFor = (database: string) => url.replace(/\/postgres$/, `/${database}`)
  const psql = async (statement: string, database = 'postgres') => {
    const bin = (await run('bash', [script, 'bindir'])).stdout.trim()
    const { stdout } = await run(join(bin, 'psql'), [
      urlFor(database),
      '-v',
      'ON_ERROR_STOP=1',
      '-At',
      '-c',
      statement,
    ])
    return stdout.trim()
  }
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= run('bash', [script, 'stop', work, '--rm']).then(() => {})
    return stopping
  }
  const holdTransaction = async (statement: string, database = 'postgres') => {
    const bin = (await run('bash', [script, 'bindir'])).stdout.trim()
    const child = spawn(join(bin, 'psql'), [urlFor(database), '-v', 'ON_ERROR_STOP=1', '-At'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (c: string) => {
      err += c
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: string) => {
        out += c
        if (out.includes('atkafka-holding')) resolve()
      })
      void exited.then((code) => reject(new Error(`psql exited (${code}) before holding: ${err}`)))
      child.stdin.write(`BEGIN;\n${statement};\n\\echo atkafka-holding\n`)
    })
    return async () => {
      child.stdin.end('COMMIT;\n')
      const code = await exited
      if (code !== 0) throw new Error(`psql: COMMIT failed (${code}): ${err}`)
    }
  }
  return {
    url,
    port,
    urlFor,
    holdTransaction,
    async createDatabase(name) {
      await psql(`CREATE DATABASE "${name}"`)
      return urlFor(name)
    },
    sql: psql,
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
