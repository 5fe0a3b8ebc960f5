// A labeler stand-in for the labels tests: a did:plc on the local PLC whose document makes it
// a labeler (`#atproto_labeler` service at a loopback subscribeLabels server, `#atproto_label`
// key), as the Ozone test upstream creates its own, and a server with the relay's cursor rules
// (fake-relay.ts: subscribeLabels uses the same sequencing scheme) serving #labels frames.
// Labels are signed by @atproto/ozone's own signLabel (what a real Ozone signs with), with the
// labeler's key or, for the tampering tests, another; `src` can name another labeler.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BytesWrapper } from '@atcute/cbor'
import { type FakeRelay, startFakeRelay } from './fake-relay.ts'
import { repoRoot } from './fixture-paths.ts'
import { encodeFrame } from './frame-tools.ts'

interface Keypair {
  did(): string
  sign(data: Uint8Array): Promise<Uint8Array>
}

interface Upstream {
  createKeypair(): Promise<Keypair>
  verifySignature(didKey: string, data: Uint8Array, sig: Uint8Array): Promise<boolean>
  cborEncode(value: unknown): Uint8Array
  createLabelerDid(plcUrl: string, keypair: Keypair, endpoint: string): Promise<string>
  signLabel(
    label: Record<string, unknown>,
    key: Keypair,
  ): Promise<Record<string, unknown> & { sig: Uint8Array }>
}

let loading: Promise<Upstream> | undefined
function upstream(): Promise<Upstream> {
  loading ??= (async () => {
    const require = createRequire(join(repoRoot, 'test', 'upstreams', 'ozone', 'package.json'))
    const crypto = require('@atproto/crypto') as {
      Secp256k1Keypair: { create(): Promise<Keypair> }
      verifySignature: Upstream['verifySignature']
    }
    const common = require('@atproto/common') as { cborEncode: Upstream['cborEncode'] }
    const plc = (await import(pathToFileURL(require.resolve('@did-plc/lib')).href)) as {
      signOperation(op: Record<string, unknown>, key: Keypair): Promise<Record<string, unknown>>
      didForCreateOp(op: Record<string, unknown>): Promise<string>
      Client: new (url: string) => { sendOperation(did: string, op: Record<string, unknown>): Promise<void> }
    }
    const ozoneMain = require.resolve('@atproto/ozone')
    const util = (await import(pathToFileURL(join(dirname(ozoneMain), 'mod-service', 'util.js')).href)) as {
      signLabel: Upstream['signLabel']
    }
    return {
      createKeypair: () => crypto.Secp256k1Keypair.create(),
      verifySignature: crypto.verifySignature,
      cborEncode: common.cborEncode,
      async createLabelerDid(plcUrl, keypair, endpoint) {
        const op = await plc.signOperation(
          {
            type: 'plc_operation',
            alsoKnownAs: [],
            rotationKeys: [keypair.did()],
            verificationMethods: { atproto_label: keypair.did() },
            services: { atproto_labeler: { type: 'AtprotoLabeler', endpoint } },
            prev: null,
          },
          keypair,
        )
        const did = await plc.didForCreateOp(op)
        await new plc.Client(plcUrl).sendOperation(did, op)
        return did
      },
      signLabel: util.signLabel,
    }
  })()
  return loading
}

/** what a label says; src, ver and cts are filled in */
interface LabelSpec {
  readonly uri: string
  readonly val: string
  readonly cid?: string
  readonly neg?: boolean
  readonly exp?: string
  readonly cts?: string
}

export interface LabelerStandIn extends AsyncDisposable {
  readonly did: string
  /** ws://127.0.0.1:<port>: its document names http://127.0.0.1:<port> as #atproto_labeler endpoint */
  readonly url: string
  readonly server: FakeRelay
  /** every frame published so far */
  readonly frames: readonly Uint8Array[]
  /**
   * serves one #labels frame per label (seqs go on from the last), signed by its own key unless
   * `signWith: 'another key'`, with `src` its own DID unless given; resolves to the labels as
   * sent (JSON, sig as base64)
   */
  publish(
    labels: readonly LabelSpec[],
    opts?: { signWith?: 'own key' | 'another key'; src?: string },
  ): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

export async function startLabelerStandIn(plcUrl: string): Promise<LabelerStandIn> {
  const up = await upstream()
  const server = await startFakeRelay({
    frames: [],
    startAtOldest: true,
    path: '/xrpc/com.atproto.label.subscribeLabels',
  })
  try {
    const key = await up.createKeypair()
    const forger = await up.createKeypair()
    // DID documents name service endpoints as http(s) URLs; the subscription is a websocket there
    const did = await up.createLabelerDid(plcUrl, key, server.url.replace(/^ws:/, 'http:'))
    let seq = 0
    const published: Uint8Array[] = []
    return {
      did,
      url: server.url,
      server,
      frames: published,
      async publish(labels, opts = {}) {
        const frames: Uint8Array[] = []
        const sent: Record<string, unknown>[] = []
        for (const spec of labels) {
          const signed = await up.signLabel(
            { ver: 1, src: opts.src ?? did, cts: spec.cts ?? new Date().toISOString(), ...spec },
            opts.signWith === 'another key' ? forger : key,
          )
          const label = { ...signed, sig: new BytesWrapper(new Uint8Array(signed.sig)) }
          frames.push(encodeFrame({ op: 1, t: '#labels' }, { seq: ++seq, labels: [label] }))
          sent.push(JSON.parse(JSON.stringify(label)) as Record<string, unknown>)
        }
        server.append(frames)
        published.push(...frames)
        return sent
      },
      close: () => server.close(),
      [Symbol.asyncDispose]: () => server.close(),
    }
  } catch (err) {
    await server.close()
    throw err
  }
}

/**
 * A check of a label as a consumer would make it, independent of atkafka's code: atproto's own
 * libraries (@atproto/common's DAG-CBOR, @atproto/crypto's verifySignature) and the key the
 * PLC holds for the label's src (its `atproto_label` verification method). `label` is the
 * atproto JSON atkafka wrote.
 */
export async function labelSignedBySrc(plcUrl: string, label: Record<string, unknown>): Promise<boolean> {
  const up = await upstream()
  const res = await fetch(`${plcUrl}/${label.src as string}/data`)
  const data = (await res.json()) as { verificationMethods?: { atproto_label?: string } }
  const key = data.verificationMethods?.atproto_label
  if (!key) return false
  const { sig, ...unsigned } = label as { sig?: { $bytes: string } }
  if (!sig) return false
  return up.verifySignature(key, up.cborEncode(unsigned), Buffer.from(sig.$bytes, 'base64'))
}
