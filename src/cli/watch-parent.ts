// Stopping with the process that started atkafka. `npx atkafka …`, `npm exec` and `npm start`
// run it through `sh -c`, which does not pass signals on: a supervisor (or `timeout`) that
// signals the npm process ends npm and the shell, and atkafka, reparented, would run on holding
// its metrics port. Started through npm (which marks its children's environment), atkafka
// polls its parent pid and stops as on SIGTERM once the parent is gone. Run directly (the
// installed bin, `node dist/cli/main.js` in the image) signals reach atkafka itself, and a
// deliberately detached run (`nohup atkafka … &`) is left alone.
// The parent being gone is not a signal: a process-group SIGTERM (systemd's default, `kill -TERM
// -- -PGID`) reaches npm, its shell and atkafka at once, so npm is gone while atkafka is already
// draining; onGone must then let the drain finish (run-cli.ts), not count it as a second signal.

/** whether npm (npx, npm exec, npm start / run) started this process */
export function startedByNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_lifecycle_event !== undefined || env.npm_command !== undefined
}

export interface WatchParentOptions {
  /** called once, with the pid of the parent that is gone */
  readonly onGone: (parentPid: number) => void
  readonly intervalMs?: number
  /** the current parent pid (default: process.ppid) */
  readonly ppid?: () => number
}

/** Polls the parent pid; returns a function that stops polling. The timer never keeps the process alive. */
export function watchParent(options: WatchParentOptions): () => void {
  const ppid = options.ppid ?? (() => process.ppid)
  const parent = ppid()
  const timer = setInterval(() => {
    if (ppid() === parent) return
    clearInterval(timer)
    options.onGone(parent)
  }, options.intervalMs ?? 1000)
  timer.unref()
  return () => clearInterval(timer)
}
