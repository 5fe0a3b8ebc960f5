// Jetstream v2's own options (its catalog entry carries them; the shared ones it takes follow its
// traits, src/config/schema.ts).
import * as v from 'valibot'
import { bool, httpUrl, int, matching, oneOf, section } from '../../config/option.ts'

const MiB = 1024 * 1024

export const jetstreamOptions = section('Upstream', ['jetstream'], {
  jetstreamHost: {
    schema: httpUrl(),
    default: 'https://jetstream1.us-east.bsky.network',
    help: 'Jetstream v2 to read: its archive (/xrpc/network.bsky.jetstream.planSnapshot, getSegment, getBlock) and its live stream (subscribeEvents, over ws:// or wss://)',
  },
  jetstreamCursor: {
    schema: v.pipe(
      matching(/^(\d{1,16})?$/, 'expected a non-negative integer seq'),
      v.transform((s) => (s === '' ? undefined : Number(s))),
    ),
    default: '',
    help: 'Jetstream seq to resume after, overriding the stored cursor (0 = the whole archive); empty: the stored cursor, else the start of the archive (or the live tip with --jetstream-archive=false)',
  },
  jetstreamArchive: {
    schema: bool,
    default: 'true',
    help: 'replay the sealed archive before going live when there is no position or it lies in the archive; false: without a position, start at the live tip (a position is always resumed, through the archive if need be)',
  },
  jetstreamCompression: {
    schema: oneOf(['zstd', 'none']),
    default: 'zstd',
    help: 'live frames: zstd (dict-zstd with the server’s dictionary, about half the bytes) or none (plain JSON text)',
  },
  jetstreamDownloadConcurrency: {
    schema: int(1, 64),
    default: '4',
    help: 'archive segments (or block ranges) downloaded at once, ahead of the replay',
  },
  jetstreamMaxDownloadBytes: {
    schema: int(MiB, 64 * 1024 * MiB),
    default: String(512 * MiB),
    help: 'archive bytes held downloaded or decompressed but not yet replayed; further downloads wait (the one the replay needs next always proceeds)',
  },
  jetstreamChunkBytes: {
    schema: int(4096, 1024 * MiB),
    default: String(8 * MiB),
    help: 'size of each Range request of a segment download (If-Range guarded: a segment changed since the plan is read again whole)',
  },
  jetstreamMaxSegmentBytes: {
    schema: int(MiB, 64 * 1024 * MiB),
    default: String(1024 * MiB),
    help: 'largest archive segment accepted (upstream seals segments at about 256 MiB); a larger one ends the run',
  },
  jetstreamRequestTimeoutMs: {
    schema: int(1000, 3_600_000),
    default: '60000',
    help: 'deadline of one archive request (a plan page, a Range chunk, a block); failed requests are retried with the reconnect backoff',
  },
})
