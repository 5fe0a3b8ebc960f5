// Saves the safe cursor at most every intervalMs while it moves, and once more on stop.
import type { Logger } from 'pino'
import type { CursorStore } from './cursor-store.ts'

export interface CursorSaver {
  /** saves the latest safe cursor now (used on shutdown) */
  flush(): Promise<void>
  stop(): void
}

export function startCursorSaver(
  store: CursorStore,
  safe: () => number | undefined,
  intervalMs: number,
  deps: { logger: Logger; onSaved?: (seq: number) => void },
): CursorSaver {
  let saved: number | undefined
  let saving: Promise<void> | undefined
  const saveNow = async () => {
    const seq = safe()
    if (seq === undefined || seq === saved) return
    await store.save(seq)
    saved = seq
    deps.onSaved?.(seq)
  }
  const tick = () => {
    if (saving !== undefined) return
    saving = saveNow()
      .catch((err: unknown) => {
        // the next tick retries; a cursor that is saved late only means more replay on restart
        deps.logger.warn({ err }, 'saving the cursor failed; will retry')
      })
      .finally(() => {
        saving = undefined
      })
  }
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return {
    async flush() {
      await saving
      await saveNow()
    },
    stop() {
      clearInterval(timer)
    },
  }
}
