// The label signature check: @atcute/crypto against the atproto interop signature vectors
// (valid low-S P-256 and secp256k1 signatures accepted; high-S and DER-encoded refused, as
// atproto requires), then labels signed here and tampered with.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { BytesWrapper, decode, encode } from '@atcute/cbor'
import { P256PrivateKeyExportable, Secp256k1PrivateKeyExportable } from '@atcute/crypto'
import { type Label, parseLabel } from '../../../../src/sources/labels/label.ts'
import {
  checkSignature,
  importKey,
  signatureValid,
  signedBytes,
} from '../../../../src/sources/labels/label-signature.ts'
import { interopDir } from '../../../helpers/fixture-paths.ts'

interface Vector {
  comment: string
  messageBase64: string
  algorithm: 'ES256' | 'ES256K'
  didDocSuite: string
  publicKeyDid: `did:key:${string}`
  publicKeyMultibase: string
  signatureBase64: string
  validSignature: boolean
  tags: string[]
}

const vectors = JSON.parse(
  readFileSync(join(interopDir, 'crypto', 'signature-fixtures.json'), 'utf8'),
) as Vector[]

test('interop signature vectors: valid low-S signatures pass, high-S and DER-encoded ones fail, both curves, both key forms', async () => {
  assert.equal(vectors.length, 6)
  for (const v of vectors) {
    const message = Buffer.from(v.messageBase64, 'base64')
    const sig = Buffer.from(v.signatureBase64, 'base64')
    const byDidKey = await importKey(v.publicKeyDid)
    assert.equal(await signatureValid(byDidKey, sig, message), v.validSignature, `${v.comment} (did:key)`)
    const byMethod = await importKey({ type: v.didDocSuite, publicKeyMultibase: v.publicKeyMultibase })
    assert.equal(
      await signatureValid(byMethod, sig, message),
      v.validSignature,
      `${v.comment} (verification method)`,
    )
    assert.equal(byDidKey.jwtAlg, v.algorithm)
  }
})

const LABELER = 'did:plc:labelerlabelerlabelerla'
const SUBJECT = 'did:plc:subjectsubjectsubjectsu'

/** a label made as Ozone makes one: the unsigned map DAG-CBOR encoded and signed, then `sig` added */
async function signedLabel(
  key: { sign(data: Uint8Array): Promise<Uint8Array> },
  fields: Record<string, unknown> = {},
): Promise<Label> {
  const unsigned = {
    ver: 1,
    src: LABELER,
    uri: `at://${SUBJECT}/app.bsky.feed.post/3l2s5xxv2ze2c`,
    cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
    val: 'spam',
    cts: '2026-12-07T10:00:00.000Z',
    ...fields,
  }
  const sig = await key.sign(encode(unsigned))
  // as it comes off the wire: decoded from the DAG-CBOR a labeler sends
  const decoded = parseLabel(decode(encode({ ...unsigned, sig: new BytesWrapper(sig) })))
  assert.ok(typeof decoded !== 'string', String(decoded))
  return decoded
}

test('a label signed with the labeler key verifies, with either curve; altered or signed by another key, it does not', async () => {
  for (const Keys of [Secp256k1PrivateKeyExportable, P256PrivateKeyExportable]) {
    const keypair = await Keys.createKeypair()
    const key = await importKey({
      type: 'Multikey',
      publicKeyMultibase: await keypair.exportPublicKey('multikey'),
    })
    const label = await signedLabel(keypair)
    assert.deepEqual(await checkSignature(label, key), { ok: true })
    const negation = await signedLabel(keypair, { neg: true, exp: '2027-01-01T00:00:00.000Z' })
    assert.deepEqual(await checkSignature(negation, key), { ok: true })

    // the same signature over another value
    const altered = parseLabel({ ...label.raw, val: 'porn' }) as Label
    assert.equal((await checkSignature(altered, key)).ok, false)
    // a field added after signing is covered too
    const extended = parseLabel({ ...label.raw, extra: 1 }) as Label
    assert.equal((await checkSignature(extended, key)).ok, false)
    // another key
    const other = await (await Keys.createKeypair()).exportPublicKey('multikey')
    assert.equal(
      (await checkSignature(label, await importKey({ type: 'Multikey', publicKeyMultibase: other }))).ok,
      false,
    )
    // no sig, or a version that defines no signature
    const { sig: _sig, ...unsigned } = label.raw
    assert.deepEqual(await checkSignature(parseLabel(unsigned) as Label, key), {
      ok: false,
      detail: 'unsigned (no sig)',
    })
    const v2 = await checkSignature(parseLabel({ ...label.raw, ver: 2 }) as Label, key)
    assert.match(v2.ok ? 'ok' : v2.detail, /ver 2/)
    // what is signed is the map without sig, canonically ordered
    assert.deepEqual(signedBytes(label), encode(unsigned))
  }
})
