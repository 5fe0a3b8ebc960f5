// A label's signature, as the atproto label spec defines it: the label without `sig`, DAG-CBOR
// encoded (@atcute/cbor: keys in canonical order), signed by the labeler's `#atproto_label` key
// (P-256 or secp256k1, SHA-256, compact 64-byte low-S signatures; high-S and DER refused) —
// @atcute/crypto verifies. Only `ver: 1` is defined. Pure but for the crypto's promise.
import { encode } from '@atcute/cbor'
import {
  type FoundPublicKey,
  getPublicKeyFromDidController,
  P256PublicKey,
  type PublicKey,
  parseDidKey,
  Secp256k1PublicKey,
} from '@atcute/crypto'
import type { Label } from './label.ts'

/** what the signature covers: the label's map without `sig`, as DAG-CBOR */
export function signedBytes(label: Label): Uint8Array<ArrayBuffer> {
  const { sig: _sig, ...unsigned } = label.raw
  return encode(unsigned) as Uint8Array<ArrayBuffer>
}

/** a verification method of a DID document (`{type, publicKeyMultibase}`), or a did:key */
export type KeySpec = { readonly type: string; readonly publicKeyMultibase: string } | `did:key:${string}`

/** the public key, ready to verify with (import once per key: it is the costly part) */
export async function importKey(spec: KeySpec): Promise<PublicKey> {
  const found: FoundPublicKey =
    typeof spec === 'string' ? parseDidKey(spec) : getPublicKeyFromDidController(spec)
  const raw = compressed(found.publicKeyBytes)
  return found.type === 'p256' ? P256PublicKey.importRaw(raw) : Secp256k1PublicKey.importRaw(raw)
}

/**
 * An uncompressed SEC1 point (0x04 ‖ X ‖ Y: what legacy `EcdsaSecp256k1VerificationKey2019`
 * documents hold, e.g. @did-plc/lib's) in the compressed form (0x02|0x03 ‖ X) the key import
 * reads; a compressed one as it is.
 */
function compressed(point: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (point.length !== 65 || point[0] !== 0x04) return point
  const out = new Uint8Array(33)
  out[0] = (point[64]! & 1) === 0 ? 0x02 : 0x03
  out.set(point.subarray(1, 33), 1)
  return out
}

/** whether `sig` is `key`'s signature of `data` (atproto rules: compact, low-S) */
export async function signatureValid(key: PublicKey, sig: Uint8Array, data: Uint8Array): Promise<boolean> {
  try {
    return await key.verify(sig, data)
  } catch {
    // a signature of the wrong length or shape: not a valid signature (counted by the caller)
    return false
  }
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly detail: string }

/** the label's signature checked against the labeler's key */
export async function checkSignature(label: Label, key: PublicKey): Promise<SignatureCheck> {
  if (label.ver !== 1)
    return { ok: false, detail: `ver ${label.ver ?? 'missing'}: only ver 1 can be verified` }
  if (label.sig === undefined) return { ok: false, detail: 'unsigned (no sig)' }
  if (await signatureValid(key, label.sig, signedBytes(label))) return { ok: true }
  return { ok: false, detail: 'sig is not the labeler key’s signature of the label' }
}
