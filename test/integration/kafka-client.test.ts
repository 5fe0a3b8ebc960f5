// Proves, against the real broker, the Kafka client properties atkafka relies on
// (docs/kafka-client.md): idempotent acks=all produce, transactions seen correctly by
// read_committed consumers, headers, every compression codec, Java-compatible key
// partitioning, admin topic creation, SASL PLAIN / SCRAM and TLS.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  Admin,
  CompressionAlgorithms,
  type CompressionAlgorithmValue,
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  type SASLMechanismValue,
  stringSerializers,
} from '@platformatic/kafka'
import { brokerEnv, createTopic, headerValue, readTopic, uniqueTopic } from '../helpers/kafka.ts'

function producer(
  extra: Partial<ConstructorParameters<typeof Producer<string, string, string, string>>[0]> = {},
) {
  return new Producer<string, string, string, string>({
    clientId: 'test-producer',
    bootstrapBrokers: [brokerEnv().bootstrap],
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    retries: 5,
    ...extra,
  })
}

describe('kafka client against the real broker', () => {
  test('idempotent acks=all produce with headers is read back intact', async () => {
    const topic = uniqueTopic('smoke')
    await createTopic(topic)
    const p = producer()
    try {
      const res = await p.send({
        messages: [
          { topic, key: 'did:plc:alice', value: '{"hello":"kafka"}', headers: { 'atkafka-kind': 'smoke' } },
          { topic, key: 'did:plc:bob', value: '{"n":2}' },
        ],
      })
      assert.equal(res.offsets?.[0]?.offset, 0n, 'base offset of the first batch')
      assert.ok(p.producerId !== undefined && p.producerId >= 0n, 'broker assigned a producer id')
    } finally {
      await p.close()
    }
    const got = await readTopic(topic, { count: 2 })
    assert.deepEqual(
      got.map((m) => [m.key.toString(), m.value.toString(), headerValue(m, 'atkafka-kind')]),
      [
        ['did:plc:alice', '{"hello":"kafka"}', 'smoke'],
        ['did:plc:bob', '{"n":2}', undefined],
      ],
    )
    process.stdout.write(
      `smoke: produced and read back ${got.length} messages through ${brokerEnv().bootstrap}\n`,
    )
  })

  test('every compression codec round-trips', async () => {
    const topic = uniqueTopic('codec')
    await createTopic(topic)
    const codecs = Object.values(CompressionAlgorithms) as CompressionAlgorithmValue[]
    for (const compression of codecs) {
      const p = producer({ compression })
      try {
        await p.send({
          messages: [{ topic, key: compression, value: `value compressed with ${compression}` }],
        })
      } finally {
        await p.close()
      }
    }
    const got = await readTopic(topic, { count: codecs.length })
    assert.deepEqual(
      got.map((m) => m.value.toString()),
      codecs.map((c) => `value compressed with ${c}`),
    )
    assert.ok(
      codecs.includes('zstd') &&
        codecs.includes('lz4') &&
        codecs.includes('snappy') &&
        codecs.includes('gzip'),
    )
  })

  test('transactions: read_committed sees committed batches only, once', async () => {
    const topic = uniqueTopic('txn')
    await createTopic(topic)
    const p = producer({ transactionalId: `test-txn-${topic}` })
    try {
      const t1 = await p.beginTransaction()
      await t1.send({ messages: [{ topic, key: 'k', value: 'committed-1' }] })
      await t1.send({ messages: [{ topic, key: 'k', value: 'committed-2' }] })
      await t1.commit()
      const t2 = await p.beginTransaction()
      await t2.send({ messages: [{ topic, key: 'k', value: 'aborted' }] })
      await t2.abort()
      const t3 = await p.beginTransaction()
      await t3.send({ messages: [{ topic, key: 'k', value: 'committed-3' }] })
      await t3.commit()
    } finally {
      await p.close()
    }
    const committed = await readTopic(topic, { count: 4, timeoutMs: 5000, isolation: 'READ_COMMITTED' })
    assert.deepEqual(
      committed.map((m) => m.value.toString()),
      ['committed-1', 'committed-2', 'committed-3'],
    )
    const all = await readTopic(topic, { count: 4, isolation: 'READ_UNCOMMITTED' })
    assert.ok(
      all.some((m) => m.value.toString() === 'aborted'),
      'the aborted record is in the log',
    )
  })

  // NOTE: @platformatic/kafka 2.12 sends InitProducerId with producerId 0 / epoch 0 unless told
  // otherwise; the broker then fences a new producer whose transactional id already exists.
  // Passing -1 / -1 (what the Java client sends) makes takeover work; atkafka's sink does this.
  const fresh = { producerId: -1n, producerEpoch: -1 }

  test('a second producer with the same transactional id fences the first', async () => {
    const topic = uniqueTopic('fence')
    await createTopic(topic)
    const transactionalId = `test-fence-${topic}`
    const first = producer({ transactionalId })
    const second = producer({ transactionalId })
    try {
      const t1 = await first.beginTransaction(fresh)
      await t1.send({ messages: [{ topic, key: 'k', value: 'from-first' }] })
      const t2 = await second.beginTransaction(fresh)
      await t2.send({ messages: [{ topic, key: 'k', value: 'from-second' }] })
      await t2.commit()
      await assert.rejects(async () => {
        await t1.send({ messages: [{ topic, key: 'k', value: 'late' }] })
        await t1.commit()
      })
    } finally {
      await first.close(true).catch(() => undefined)
      await second.close()
    }
    const committed = await readTopic(topic, { count: 2, timeoutMs: 5000, isolation: 'READ_COMMITTED' })
    assert.deepEqual(
      committed.map((m) => m.value.toString()),
      ['from-second'],
    )
  })

  test('DID keys land on the partition the Java client would choose (murmur2)', async () => {
    // Java's Utils.murmur2 for these keys (from Apache Kafka's UtilsTest), then
    // toPositive(h) % n. compatibilityPartitioner must agree before the producer's % n.
    const vectors: Record<string, number> = {
      '21': -973932308,
      foobar: -790332482,
      'a-little-bit-long-string': -985981536,
      'a-little-bit-longer-string': -1486304829,
      lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
      abc: 479470107,
    }
    for (const [key, hash] of Object.entries(vectors)) {
      for (const n of [1, 3, 6, 7, 12, 50, 200]) {
        const got = compatibilityPartitioner({ topic: 't', key }, Buffer.from(key)) % n
        assert.equal(got, (hash & 0x7fffffff) % n, `key=${key} partitions=${n}`)
      }
    }
    const topic = uniqueTopic('partition')
    await createTopic(topic, 7)
    const p = producer({ partitioner: compatibilityPartitioner })
    try {
      await p.send({ messages: Object.keys(vectors).map((key) => ({ topic, key, value: key })) })
    } finally {
      await p.close()
    }
    const got = await readTopic(topic, { count: Object.keys(vectors).length })
    for (const m of got) {
      const key = m.key.toString()
      assert.equal(m.partition, ((vectors[key] ?? 0) & 0x7fffffff) % 7, `key=${key}`)
    }
  })

  test('admin creates topics with configs', async () => {
    const topic = uniqueTopic('admin')
    await createTopic(topic, 3, { 'cleanup.policy': 'compact', 'retention.ms': '3600000' })
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [brokerEnv().bootstrap] })
    try {
      const meta = await admin.metadata({ topics: [topic] })
      assert.equal(meta.topics.get(topic)?.partitionsCount, 3)
      const [described] = await admin.describeConfigs({
        resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['cleanup.policy'] }],
      })
      assert.equal(described?.configs.find((c) => c.name === 'cleanup.policy')?.value, 'compact')
    } finally {
      await admin.close()
    }
  })

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as SASLMechanismValue[]) {
    test(`SASL ${mechanism}: good credentials produce, bad ones are refused`, async () => {
      const env = brokerEnv()
      const topic = uniqueTopic('sasl')
      await createTopic(topic)
      const good = producer({
        bootstrapBrokers: [env.saslBootstrap],
        sasl: { mechanism, username: env.saslUsername, password: env.saslPassword },
      })
      try {
        await good.send({ messages: [{ topic, key: 'k', value: mechanism }] })
      } finally {
        await good.close()
      }
      const bad = producer({
        bootstrapBrokers: [env.saslBootstrap],
        sasl: { mechanism, username: env.saslUsername, password: 'wrong' },
        // an idempotent producer turns retries <= 1 into "forever"
        retries: 2,
        retryDelay: 50,
      })
      try {
        await assert.rejects(bad.send({ messages: [{ topic, key: 'k', value: 'nope' }] }))
      } finally {
        await bad.close(true).catch(() => undefined)
      }
      const got = await readTopic(topic, { count: 1 })
      assert.deepEqual(
        got.map((m) => m.value.toString()),
        [mechanism],
      )
    })
  }

  test('TLS: a client trusting the test CA produces; one that does not is refused', async () => {
    const env = brokerEnv()
    const topic = uniqueTopic('tls')
    await createTopic(topic)
    const good = producer({ bootstrapBrokers: [env.sslBootstrap], tls: { ca: env.sslCa } })
    try {
      await good.send({ messages: [{ topic, key: 'k', value: 'over tls' }] })
    } finally {
      await good.close()
    }
    const untrusting = producer({ bootstrapBrokers: [env.sslBootstrap], tls: {}, retries: 2, retryDelay: 50 })
    try {
      await assert.rejects(untrusting.send({ messages: [{ topic, key: 'k', value: 'nope' }] }))
    } finally {
      await untrusting.close(true).catch(() => undefined)
    }
    const got = await readTopic(topic, { count: 1 })
    assert.equal(got[0]?.value.toString(), 'over tls')
  })
})
