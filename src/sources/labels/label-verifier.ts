// Verifies each label one labeler serves: its `src` must be that labeler, and its signature
// that of the labeler's current `#atproto_label` key. Keys rotate: on a signature that does not
// match, the labeler's DID document is resolved again (once per label, at most once every
// `minRefreshMs` per labeler, concurrent mismatches sharing one resolution) and the label
// checked with the key it names now. Still wrong: the label is refused with the reason, for the
// caller to count and dead-letter. A resolution that fails keeps the key there was.
import type { PublicKey } from '@atcute/crypto'
import type { Label } from './label.ts'
import { checkSignature, importKey, type KeySpec } from './label-signature.ts'

type RefusalReason = 'invalid_signature' | 'wrong_src'

type LabelVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string }

export interface LabelVerifierOptions {
  readonly labelerDid: string
  /** the labeler's `#atproto_label` key as its DID document names it now; undefined: none */
  readonly resolveKey: () => Promise<KeySpec | undefined>
  /** least time between two resolutions caused by mismatches */
  readonly minRefreshMs: number
  readonly now?: () => number
}

export interface LabelVerifier {
  verify(label: Label): Promise<LabelVerdict>
  /** resolutions of the DID document so far (the first included) */
  readonly resolutions: number
}

const keyId = (spec: KeySpec) => (typeof spec === 'string' ? spec : spec.publicKeyMultibase)

export function createLabelVerifier(options: LabelVerifierOptions): LabelVerifier {
  const { labelerDid, minRefreshMs } = options
  const now = options.now ?? (() => performance.now())
  let current: { id: string; key: PublicKey } | undefined
  let lastResolution = Number.NEGATIVE_INFINITY
  let resolving: Promise<void> | undefined
  let resolutions = 0

  /** resolve the document again, unless one ran less than minRefreshMs ago; true when it ran */
  const refresh = async (): Promise<boolean> => {
    if (resolving !== undefined) {
      await resolving
      return true
    }
    if (now() - lastResolution < minRefreshMs) return false
    lastResolution = now()
    resolutions++
    resolving = (async () => {
      const spec = await options.resolveKey().catch(() => undefined)
      if (spec === undefined) return
      const id = keyId(spec)
      if (current?.id === id) return
      const key = await importKey(spec).catch(() => undefined)
      if (key) current = { id, key }
    })()
    try {
      await resolving
    } finally {
      resolving = undefined
    }
    return true
  }

  return {
    async verify(label) {
      if (label.src !== labelerDid) {
        return { ok: false, reason: 'wrong_src', detail: `src ${label.src} is not the labeler ${labelerDid}` }
      }
      if (current === undefined) await refresh()
      if (current === undefined) {
        return { ok: false, reason: 'invalid_signature', detail: `${labelerDid} names no #atproto_label key` }
      }
      const used = current
      const first = await checkSignature(label, used.key)
      if (first.ok) return first
      // a label that cannot be signed (no sig, another ver) gains nothing from a new key
      if (label.sig === undefined || label.ver !== 1)
        return { ok: false, reason: 'invalid_signature', detail: first.detail }
      const ran = current === used ? await refresh() : true
      if (current !== used) {
        const second = await checkSignature(label, current.key)
        if (second.ok) return second
      }
      const why = ran
        ? 'after resolving the DID document again'
        : 'its DID document was resolved again too recently to retry'
      return { ok: false, reason: 'invalid_signature', detail: `${first.detail} (${why})` }
    },
    get resolutions() {
      return resolutions
    },
  }
}
