// The per-labeler verifier: src must be the labeler; a signature that does not match makes the
// labeler's DID document be resolved again once (keys rotate), rate-limited; still wrong, or
// another labeler's src, and the label is refused with its reason.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesWrapper, decode, encode } from '@atcute/cbor'
import { Secp256k1PrivateKeyExportable } from '@atcute/crypto'
import { type Label, parseLabel } from '../../../../src/sources/labels/label.ts'
import type { KeySpec } from '../../../../src/sources/labels/label-signature.ts'
import { createLabelVerifier } from '../../../../src/sources/labels/label-verifier.ts'

const LABELER = 'did:plc:labelerlabelerlabelerla'
type Keypair = Awaited<ReturnType<typeof Secp256k1PrivateKeyExportable.createKeypair>>

async function label(key: Keypair, fields: Record<string, unknown> = {}): Promise<Label> {
  const unsigned = {
    ver: 1,
    src: LABELER,
    uri: 'did:plc:subjectsubjectsubjectsu',
    val: '!hide',
    cts: '2026-12-07T10:00:00.000Z',
    ...fields,
  }
  const sig = await key.sign(encode(unsigned))
  return parseLabel(decode(encode({ ...unsigned, sig: new BytesWrapper(sig) }))) as Label
}

async function world() {
  const oldKey = await Secp256k1PrivateKeyExportable.createKeypair()
  const newKey = await Secp256k1PrivateKeyExportable.createKeypair()
  const spec = async (k: Keypair): Promise<KeySpec> => ({
    type: 'Multikey',
    publicKeyMultibase: await k.exportPublicKey('multikey'),
  })
  let published: KeySpec | undefined = await spec(oldKey)
  let clock = 0
  const verifier = createLabelVerifier({
    labelerDid: LABELER,
    resolveKey: async () => published,
    minRefreshMs: 60_000,
    now: () => clock,
  })
  return {
    oldKey,
    newKey,
    verifier,
    publish: async (k: Keypair | undefined) => {
      published = k === undefined ? undefined : await spec(k)
    },
    tick: (ms: number) => {
      clock += ms
    },
  }
}

test('a rotated key: the first mismatch resolves the document again and the label verifies; no resolution while the key matches', async () => {
  const w = await world()
  assert.deepEqual(await w.verifier.verify(await label(w.oldKey)), { ok: true })
  assert.deepEqual(await w.verifier.verify(await label(w.oldKey)), { ok: true })
  assert.equal(w.verifier.resolutions, 1, 'resolved once, at the first label')
  await w.publish(w.newKey)
  w.tick(61_000)
  assert.deepEqual(await w.verifier.verify(await label(w.newKey)), { ok: true })
  assert.equal(w.verifier.resolutions, 2)
  assert.deepEqual(await w.verifier.verify(await label(w.newKey)), { ok: true })
  assert.equal(w.verifier.resolutions, 2)
})

test('a forged label: resolved again once, still wrong: refused; within the interval, refused without resolving again', async () => {
  const w = await world()
  const forger = await Secp256k1PrivateKeyExportable.createKeypair()
  assert.deepEqual(await w.verifier.verify(await label(w.oldKey)), { ok: true })
  w.tick(61_000)
  const forged = await w.verifier.verify(await label(forger))
  assert.equal(forged.ok, false)
  assert.equal(forged.ok ? '' : forged.reason, 'invalid_signature')
  assert.match(forged.ok ? '' : forged.detail, /after resolving the DID document again/)
  assert.equal(w.verifier.resolutions, 2)
  // within the interval: refused without another resolution
  const again = await w.verifier.verify(await label(forger))
  assert.match(again.ok ? '' : again.detail, /too recently/)
  assert.equal(w.verifier.resolutions, 2)
  w.tick(60_000)
  const later = await w.verifier.verify(await label(forger, { val: 'porn' }))
  assert.equal(later.ok, false)
  assert.equal(w.verifier.resolutions, 3)
  // a genuine label still passes between forgeries
  assert.deepEqual(await w.verifier.verify(await label(w.oldKey)), { ok: true })
})

test('another labeler’s src is refused whatever its signature; a labeler without a key refuses everything', async () => {
  const w = await world()
  const other = await w.verifier.verify(await label(w.oldKey, { src: 'did:plc:otherlabelerotherlabele' }))
  assert.deepEqual(other, {
    ok: false,
    reason: 'wrong_src',
    detail: `src did:plc:otherlabelerotherlabele is not the labeler ${LABELER}`,
  })
  assert.equal(w.verifier.resolutions, 0, 'decided without the document')
  await w.publish(undefined)
  const keyless = await w.verifier.verify(await label(w.oldKey))
  assert.equal(keyless.ok ? '' : keyless.reason, 'invalid_signature')
})

test('concurrent mismatches share one resolution', async () => {
  const w = await world()
  await w.verifier.verify(await label(w.oldKey))
  await w.publish(w.newKey)
  w.tick(61_000)
  const labels = await Promise.all([1, 2, 3, 4].map((i) => label(w.newKey, { val: `v${i}` })))
  const verdicts = await Promise.all(labels.map((l) => w.verifier.verify(l)))
  assert.deepEqual(
    verdicts,
    labels.map(() => ({ ok: true })),
  )
  assert.equal(w.verifier.resolutions, 2)
})
