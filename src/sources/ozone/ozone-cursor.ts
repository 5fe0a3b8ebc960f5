// How an ozone-events position (ozone-position.ts) is kept in the cursor store (the same Kafka
// cursor topic or file as relay mode, key `ozone:<labeler did>` by default): the record's
// `position` field holds it, e.g.
//   {"position":{"v":1,"createdAfter":"…","seen":"101-250","last":{…}},"sourceId":"…","upstream":"…","savedAt":"…"}
// Its number (gauges, status page, logs) is the window edge in epoch ms: it only grows.
import type { CursorCodec } from '../../cursor/cursor-store.ts'
import { formatOzonePosition, type OzonePosition, parseOzonePosition } from './ozone-position.ts'

export const ozoneCursorCodec: CursorCodec<OzonePosition> = {
  toFields: (position) => ({ position: JSON.parse(formatOzonePosition(position)) as unknown }),
  fromFields(fields, where) {
    const { position } = fields
    if (typeof position !== 'object' || position === null) {
      throw new Error(
        `stored cursor has no Ozone position (a relay cursor under the same source id?); where=${where}`,
      )
    }
    try {
      return parseOzonePosition(JSON.stringify(position))
    } catch (err) {
      throw new Error(`stored Ozone position is not valid; where=${where}`, { cause: err })
    }
  },
  toNumber: (position) => (position.createdAfter === undefined ? 0 : Date.parse(position.createdAfter)),
}
