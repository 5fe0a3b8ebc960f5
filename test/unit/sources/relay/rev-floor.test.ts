// The seam's table of copied revs: skips exactly what is at or below the copied rev, keeps the
// higher of two copies, grows within its bytes, and refuses to grow past them.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { RevFloor, tidNumber } from '../../../../src/sources/relay/rev-floor.ts'

describe('tidNumber', () => {
  test('orders as the TID strings do, and refuses what is not a TID', () => {
    const tids = ['2222222222222', '3kfx2xgn3a22c', '3kfx2xgn3a22d', '3lzzzzzzzzzzz', 'jzzzzzzzzzzzz']
    const numbers = tids.map((t) => tidNumber(t)!)
    for (let i = 1; i < numbers.length; i++) assert.ok(numbers[i - 1]! < numbers[i]!, tids[i])
    assert.equal(tidNumber('2222222222222'), 0n)
    assert.equal(tidNumber('jzzzzzzzzzzzz'), (1n << 64n) - 1n)
    for (const bad of [
      '',
      '3kfx2xgn3a22',
      '3kfx2xgn3a22cc',
      '3kfx2xgn3a221',
      '3KFX2XGN3A22C',
      'kzzzzzzzzzzzz',
    ])
      assert.equal(tidNumber(bad), undefined, bad)
  })
})

describe('RevFloor', () => {
  test('covers a rev at or below the copy, not above it, not another repo', () => {
    const floor = new RevFloor(1 << 20)
    assert.equal(floor.covers('did:plc:a', '3kfx2xgn3a22c'), false, 'empty')
    assert.equal(floor.set('did:plc:a', '3kfx2xgn3a22c'), true)
    assert.equal(floor.covers('did:plc:a', '3kfx2xgn3a22b'), true)
    assert.equal(floor.covers('did:plc:a', '3kfx2xgn3a22c'), true, 'the copied rev itself')
    assert.equal(floor.covers('did:plc:a', '3kfx2xgn3a22d'), false)
    assert.equal(floor.covers('did:plc:b', '2222222222222'), false)
    assert.equal(floor.covers('did:plc:a', 'not-a-tid'), false, 'a live rev that is no TID is produced')
    assert.equal(floor.set('did:plc:c', 'not-a-tid'), false)
    assert.equal(floor.size, 1)
  })

  test('two copies of a repo: the higher rev wins, whatever the order', () => {
    const floor = new RevFloor(1 << 20)
    floor.set('did:plc:a', '3kfx2xgn3a22m')
    floor.set('did:plc:a', '3kfx2xgn3a22c')
    assert.equal(floor.covers('did:plc:a', '3kfx2xgn3a22m'), true)
    assert.equal(floor.size, 1)
  })

  test('grows to hold 100,000 repos, every one answered', () => {
    const floor = new RevFloor(16 << 20)
    const rev = (i: number) => `3kfx2xgn${String(i % 7).replace(/[01]/g, '2')}a22c`
    for (let i = 0; i < 100_000; i++) floor.set(`did:plc:${i}`, rev(i))
    assert.equal(floor.size, 100_000)
    assert.ok(floor.bytes <= (100_000 / 0.4) * 16, `${floor.bytes} bytes`)
    for (let i = 0; i < 100_000; i += 97) {
      assert.equal(floor.covers(`did:plc:${i}`, rev(i)), true)
      assert.equal(floor.covers(`did:plc:${i}`, '3lzzzzzzzzzzz'), false)
    }
  })

  test('refuses to grow past its bytes', () => {
    const floor = new RevFloor(64 * 1024, 1024)
    assert.throws(() => {
      for (let i = 0; i < 10_000; i++) floor.set(`did:plc:${i}`, '3kfx2xgn3a22c')
    }, /past its limit of 65536/)
    assert.ok(floor.bytes <= 64 * 1024)
  })
})
