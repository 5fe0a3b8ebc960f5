// What the backfill integration tests share: `atkafka` run to its end (the planner, status),
// the live writer's `relay.seam` status, and the commits the local PDS sequenced from a seq on
// (read back from its subscribeRepos).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { decodeFrame } from '../../src/sources/relay/decode-frame.ts'
import { repoRoot } from './fixture-paths.ts'

/** runs `atkafka …args` to its end */
export async function atkafka(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'atkafka.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString()
  })
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, stdout, stderr }
}

/** the live writer's `relay.seam` on its status page; null while it does not answer */
export async function seamStatus(port: number): Promise<Record<string, unknown> | null> {
  const res = await fetch(`http://127.0.0.1:${port}/status.json`).catch(() => undefined)
  return res?.ok
    ? ((await res.json()) as { relay: { seam: Record<string, unknown> | null } }).relay.seam
    : null
}

/**
 * `did rev` → seq of every commit the PDS sequenced at or after `from`, read from its
 * subscribeRepos until the commit `last` (`did rev`) is seen
 */
export function commitSeqs(firehoseUrl: string, from: number, last: string, timeoutMs = 30_000) {
  return new Promise<Map<string, number>>((resolve, reject) => {
    const seqs = new Map<string, number>()
    const socket = new WebSocket(`${firehoseUrl}?cursor=${from - 1}`)
    socket.binaryType = 'arraybuffer'
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`the commit ${last} did not come within ${timeoutMs} ms (${seqs.size} read)`))
    }, timeoutMs)
    socket.onmessage = (m) => {
      const frame = decodeFrame(new Uint8Array(m.data as ArrayBuffer), () => new Date().toISOString())
      for (const e of frame.events) {
        if (e.kind !== 'operation' || frame.seq === undefined || frame.seq < from) continue
        seqs.set(`${e.did} ${e.rev}`, frame.seq)
      }
      if (seqs.has(last)) {
        clearTimeout(timer)
        socket.close()
        resolve(seqs)
      }
    }
    socket.onerror = () => {
      clearTimeout(timer)
      reject(new Error(`cannot subscribe to ${firehoseUrl}`))
    }
  })
}
