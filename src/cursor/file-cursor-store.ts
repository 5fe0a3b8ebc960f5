// A cursor in a local file, written to a temporary file and renamed so a crash mid-write
// never leaves a torn cursor behind.
import { readFile, rename, writeFile } from 'node:fs/promises'
import { CursorError } from '../errors.ts'
import { type CursorStore, parseCursorRecord } from './cursor-store.ts'

export function createFileCursorStore(path: string, sourceId: string, upstream: string): CursorStore {
  return {
    description: `file ${path}`,
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw new CursorError(`cannot read the cursor file; path=${path}`, { cause: err })
      }
      try {
        const record = parseCursorRecord(text, path)
        if (record.sourceId !== sourceId) {
          throw new CursorError(
            `cursor file belongs to another source; path=${path} file=${record.sourceId} ours=${sourceId}`,
          )
        }
        return record.seq
      } catch (err) {
        if (err instanceof CursorError) throw err
        throw new CursorError(`cursor file is not valid; path=${path}`, { cause: err })
      }
    },
    async save(seq) {
      const tmp = `${path}.tmp`
      const record = { seq, sourceId, upstream, savedAt: new Date().toISOString() }
      await writeFile(tmp, `${JSON.stringify(record)}\n`)
      await rename(tmp, path)
    },
  }
}
