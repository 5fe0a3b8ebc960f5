// Who writes among standby instances: the newest writer claim, else the longest-running member.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { chooseWriter, decodeClaim, encodeClaim } from '../../../src/standby/choose-writer.ts'

const m = (memberId: string, writerGeneration: number | null, startedAt: number) => ({
  memberId,
  claim: { writerGeneration, startedAt },
})

test('the current writer keeps the role when a restarted old writer joins', () => {
  // the old writer restarted is the newest process and claims nothing
  assert.equal(chooseWriter([m('b', 3, 2000), m('a2', null, 3000)]), 'b')
})

test('a paused old writer (zombie) claiming an older generation loses to the newer writer', () => {
  assert.equal(chooseWriter([m('zombie', 1, 1000), m('new', 5, 2000)]), 'new')
})

test('without a claim the longest-running member writes; ties break on member id', () => {
  assert.equal(chooseWriter([m('x', null, 2000), m('y', null, 1000)]), 'y')
  assert.equal(chooseWriter([m('y', null, 1000), m('x', null, 1000)]), 'x')
  assert.equal(chooseWriter([]), undefined)
})

test('claims round-trip; foreign or missing metadata never wins over a real claim', () => {
  assert.deepEqual(decodeClaim(encodeClaim({ writerGeneration: 4, startedAt: 5 })), {
    writerGeneration: 4,
    startedAt: 5,
  })
  const foreign = decodeClaim(Buffer.from('not json'))
  assert.equal(foreign.writerGeneration, null)
  assert.equal(chooseWriter([{ memberId: 'f', claim: foreign }, m('atkafka', null, Date.now())]), 'atkafka')
})
