// The memoised partitioning hash is the client's compatibilityPartitioner (murmur2, as the Java
// client), for new keys, keys seen before, non-ASCII keys, and after the memo starts over.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compatibilityPartitioner } from '@platformatic/kafka'
import { keyHash, keyPartitioner } from '../../../src/kafka/key-hash.ts'

const reference = (key: string) => compatibilityPartitioner(undefined as never, Buffer.from(key))

test('keyHash is compatibilityPartitioner, once per key and across the bound', () => {
  const keys = ['did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'did:web:bé.example', '<unknown>', '']
  for (let i = 0; i < 20_000; i++) keys.push(`did:plc:${i.toString(36).padStart(24, 'a')}`)
  for (const round of [1, 2]) {
    for (const key of keys) assert.equal(keyHash(key), reference(key), `${key} (round ${round})`)
  }
  const message = { topic: 't', key: keys[0]!, value: Buffer.from('') }
  assert.equal(keyPartitioner(message as never, Buffer.from(keys[0]!)), reference(keys[0]!))
})
