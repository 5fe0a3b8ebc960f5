// Stopping a helper process: SIGTERM, SIGKILL after 10 s, once however often it is called;
// `then` runs after the process is gone (e.g. removing its data folder).
import type { ChildProcess } from 'node:child_process'

export function createStopper(
  child: ChildProcess,
  exited: Promise<void>,
  then?: () => Promise<void>,
): () => Promise<void> {
  let stopping: Promise<void> | undefined
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(killer)
      }
      await then?.()
    })()
    return stopping
  }
}
