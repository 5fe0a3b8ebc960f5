// Saves the source's checkpoint at most every intervalMs while it moves, and once more on stop.
import type { Logger } from 'pino'
import type { CursorStore } from './cursor-store.ts'

export interface CursorSaver {
  /** saves the latest checkpoint now (used on shutdown) */
  flush(): Promise<void>
  stop(): void
}

export function startCursorSaver<P>(
  store: CursorStore<P>,
  checkpoint: () => P | undefined,
  intervalMs: number,
  deps: { logger: Logger; onSaved?: (position: P) => void },
): CursorSaver {
  let saved: P | undefined
  let saving: Promise<void> | undefined
  const saveNow = async () => {
    const position = checkpoint()
    // a checkpoint is the same value while it has not moved (the Source port's contract)
    if (position === undefined || position === saved) return
    await store.save(position)
    saved = position
    deps.onSaved?.(position)
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
