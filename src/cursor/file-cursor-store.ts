// A cursor in a local file, written to a temporary file and renamed so a crash mid-write
// never leaves a torn cursor behind.
import { readFile, rename, writeFile } from 'node:fs/promises'
import { CursorError } from '../errors.ts'
import {
  type CursorCodec,
  type CursorOwner,
  type CursorStore,
  cursorRecordJson,
  parseCursorRecord,
} from './cursor-store.ts'

export function createFileCursorStore<P>(
  path: string,
  owner: CursorOwner,
  codec: CursorCodec<P>,
): CursorStore<P> {
  return {
    location: `file ${path}`,
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw new CursorError(`cannot read the cursor file; path=${path}`, { cause: err })
      }
      let stored: { position: P; sourceId: unknown }
      try {
        stored = parseCursorRecord(codec, text, path)
      } catch (err) {
        throw new CursorError(`cursor file is not valid; path=${path}`, { cause: err })
      }
      if (stored.sourceId !== owner.sourceId) {
        throw new CursorError(
          `cursor file belongs to another source; path=${path} file=${String(stored.sourceId)} ours=${owner.sourceId}`,
        )
      }
      return stored.position
    },
    async save(position) {
      const tmp = `${path}.tmp`
      await writeFile(tmp, `${cursorRecordJson(codec, owner, position)}\n`)
      await rename(tmp, path)
    },
  }
}
