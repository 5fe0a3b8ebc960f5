// A DNS server on 127.0.0.1 for handle resolution tests: UDP, packets encoded and decoded by
// dns-packet. It answers TXT questions from `txt` (name → the strings, each its own record),
// NXDOMAIN for every other name, and never answers names in `hang` (a resolution timeout).
// Point atkafka at it with --dns-servers <address>.
import { createSocket } from 'node:dgram'
import * as packet from 'dns-packet'

export interface LocalDns extends AsyncDisposable {
  /** `127.0.0.1:<port>`, as --dns-servers takes it */
  readonly address: string
  /** name (without the trailing dot) → TXT strings; e.g. `_atproto.alice.test` → [`did=did:plc:…`] */
  readonly txt: Map<string, string[]>
  /** names whose questions get no answer */
  readonly hang: Set<string>
  /** every name asked, in order */
  readonly asked: string[]
  close(): Promise<void>
}

export async function startLocalDns(): Promise<LocalDns> {
  const socket = createSocket('udp4')
  const txt = new Map<string, string[]>()
  const hang = new Set<string>()
  const asked: string[] = []
  socket.on('message', (message, from) => {
    let query: packet.DecodedPacket
    try {
      query = packet.decode(message)
    } catch {
      return
    }
    const question = query.questions?.[0]
    if (!question) return
    const name = question.name.toLowerCase().replace(/\.$/, '')
    asked.push(name)
    if (hang.has(name)) return
    const records = question.type === 'TXT' ? txt.get(name) : undefined
    const known = txt.has(name)
    const answer = packet.encode({
      type: 'response',
      id: query.id,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (known ? 0 : 3), // rcode 3: NXDOMAIN
      questions: [question],
      answers: (records ?? []).map((data) => ({ type: 'TXT', name: question.name, ttl: 60, data }) as const),
    })
    socket.send(answer, from.port, from.address)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => resolve())
  })
  const { port } = socket.address()
  const close = () => new Promise<void>((resolve) => socket.close(() => resolve()))
  return { address: `127.0.0.1:${port}`, txt, hang, asked, close, [Symbol.asyncDispose]: close }
}
