// A local relay that plays the recorded firehose frames as a live stream: every tick it appends
// the next few frames (cycling over the 150 recorded ones) with fresh seqs and the current time
// as their `time`, so lag and rates look like a live relay's. Used by the demo and the status
// page test.
import { readCorpusFrames } from './corpus.ts'
import { type FakeRelay, startFakeRelay } from './fake-relay.ts'
import { encodeFrame, splitFrame } from './frame-tools.ts'

export interface LiveRelay extends AsyncDisposable {
  readonly relay: FakeRelay
  readonly url: string
  /** frames appended so far */
  readonly appended: number
  close(): Promise<void>
}

/** the frame with another seq and time (a frame without a seq, e.g. #info, is returned as is) */
function withSeqAndTime(frame: Uint8Array, seq: number, time: string): Uint8Array {
  const { header, body } = splitFrame(frame)
  if (typeof body.seq !== 'number') return frame
  return encodeFrame(header, { ...body, seq, ...(typeof body.time === 'string' ? { time } : {}) })
}

export async function startLiveRelay(
  options: { framesPerTick?: number; tickMs?: number; firstSeq?: number; retainFrames?: number } = {},
): Promise<LiveRelay> {
  const framesPerTick = options.framesPerTick ?? 20
  const recorded = readCorpusFrames()
  const relay = await startFakeRelay({ frames: [], retainAppended: options.retainFrames ?? 20_000 })
  let seq = options.firstSeq ?? 1
  let next = 0
  let appended = 0
  const tick = () => {
    const time = new Date().toISOString()
    const batch: Uint8Array[] = []
    for (let i = 0; i < framesPerTick; i++) {
      batch.push(withSeqAndTime(recorded[next] as Uint8Array, seq++, time))
      next = (next + 1) % recorded.length
    }
    relay.append(batch)
    appended += batch.length
  }
  const timer = setInterval(tick, options.tickMs ?? 500)
  const close = async () => {
    clearInterval(timer)
    await relay.close()
  }
  return {
    relay,
    url: relay.url,
    get appended() {
      return appended
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
