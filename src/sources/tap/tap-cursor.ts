// How a Tap position (committed-ids.ts: the ids Tap may still send again) is kept in the cursor
// store under --exactly-once (the Kafka cursor topic, key `tap:<tap host>` by default), e.g.
//   {"tap":{"v":1,"count":3,"maxId":1207,"ids":"<base64>"},"sourceId":"…","upstream":"…","savedAt":"…"}
// Its number (the committed-cursor gauge, the status page) is the highest id kept, 0 when none:
// Tap ids are not a position to resume from (Tap keeps that), only a hint for people.
import type { CursorCodec } from '../../cursor/cursor-store.ts'
import { decodeTapIds, encodeTapIds, type TapPosition } from './committed-ids.ts'

const TAP_POSITION_VERSION = 1

export const tapCursorCodec: CursorCodec<TapPosition> = {
  toFields: (position) => ({
    tap: {
      v: TAP_POSITION_VERSION,
      count: position.ids.length,
      maxId: maxId(position),
      ids: encodeTapIds(position.ids),
    },
  }),
  fromFields(fields, where) {
    const tap = fields.tap as { v?: unknown; count?: unknown; ids?: unknown } | undefined
    if (typeof tap !== 'object' || tap === null) {
      throw new Error(
        `stored cursor has no Tap ids (another source's cursor under the same source id?); where=${where}`,
      )
    }
    if (tap.v !== TAP_POSITION_VERSION)
      throw new Error(`unknown Tap cursor version ${String(tap.v)}; where=${where}`)
    if (typeof tap.ids !== 'string' || !Number.isSafeInteger(tap.count)) {
      throw new Error(`stored Tap ids are not valid; where=${where}`)
    }
    try {
      return { ids: decodeTapIds(tap.ids, tap.count as number) }
    } catch (err) {
      throw new Error(`stored Tap ids are not valid; where=${where}`, { cause: err })
    }
  },
  toNumber: maxId,
}

function maxId(position: TapPosition): number {
  return position.ids.at(-1)?.id ?? 0
}
