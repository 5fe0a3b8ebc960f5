// Reader for the recorded relay/Jetstream corpus (test/fixtures/jetstream-corpus; see its
// README): 150 live subscribeRepos frames and production Jetstream's v1 JSON for the same events.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { zstdDecompressSync } from 'node:zlib'
import { corpusDir } from './fixture-paths.ts'

/** frames.bin.zst (upstream's file, unchanged): zstd of a sequence of [u32 little-endian length][frame bytes]; each frame is a view of one fresh buffer */
export function readCorpusFrames(): Uint8Array[] {
  const file = zstdDecompressSync(readFileSync(join(corpusDir, 'frames.bin.zst')))
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const frames: Uint8Array[] = []
  let pos = 0
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) throw new Error(`frames.bin: truncated length at byte ${pos}`)
    const length = view.getUint32(pos, true)
    pos += 4
    if (pos + length > bytes.length) throw new Error(`frames.bin: truncated frame at byte ${pos}`)
    frames.push(bytes.subarray(pos, pos + length))
    pos += length
  }
  return frames
}

/** One line of expected_v1.jsonl: production Jetstream v1's JSON for a corpus event. */
export interface JetstreamEvent {
  did: string
  kind: 'commit' | 'identity' | 'account'
  commit?: {
    rev: string
    operation: string
    collection: string
    rkey: string
    record?: unknown
    cid?: string
  }
  identity?: { did: string; seq: number; time: string; handle?: string }
  account?: { did: string; seq: number; time: string; active: boolean; status?: string }
}

export function readExpectedV1(): unknown[] {
  return readFileSync(join(corpusDir, 'expected_v1.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown)
}

export interface CorpusManifest {
  readonly seq_first: number
  readonly seq_last: number
  readonly frames: number
  readonly commit_frames: number
  readonly v1_events: number
  readonly creates: number
  readonly updates: number
  readonly deletes: number
  readonly identity: number
  readonly account: number
  readonly commit_dids: readonly string[]
}

/** manifest.json: capture metadata and the expected counts */
export function readCorpusManifest(): CorpusManifest {
  return JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as CorpusManifest
}
