import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createCollectionMatcher,
  parseCollectionPatterns,
  validateCollectionPattern,
} from '../../../src/filters/collection-matcher.ts'

describe('createCollectionMatcher', () => {
  const table: { patterns: string[]; yes: string[]; no: string[] }[] = [
    {
      patterns: ['app.bsky.feed.post'],
      yes: ['app.bsky.feed.post', 'app.bsky.feed.post.x'],
      no: ['app.bsky.feed.postx', 'app.bsky.feed', 'app.bsky.feed.like', ''],
    },
    {
      // the Go original's namespace rule: a pattern without .* also matches what is under it
      patterns: ['app.bsky.feed'],
      yes: ['app.bsky.feed', 'app.bsky.feed.post', 'app.bsky.feed.like'],
      no: ['app.bsky.feedx', 'app.bsky.graph.follow', 'app.bsky'],
    },
    {
      patterns: ['app.bsky.*'],
      yes: ['app.bsky', 'app.bsky.feed', 'app.bsky.feed.post', 'app.bsky.graph.follow'],
      no: ['app.bskyx.feed.post', 'app.bsk', 'app', 'com.app.bsky.feed.post', 'chat.bsky.convo.x'],
    },
    {
      patterns: ['fm.teal.*', 'app.bsky.feed.like', 'app.bsky.graph.*'],
      yes: ['fm.teal', 'fm.teal.alpha.feed.play', 'app.bsky.feed.like', 'app.bsky.graph.block'],
      no: ['fm.tealish.x', 'app.bsky.feed.post', 'app.bsky', 'app.bsky.grap'],
    },
    {
      patterns: ['app.*'],
      yes: ['app', 'app.bsky.feed.post', 'app.x'],
      no: ['apps.bsky.feed.post', 'ap'],
    },
    { patterns: ['*'], yes: ['app.bsky.feed.post', 'anything.at.all', 'x'], no: [] },
    { patterns: ['app.bsky.feed.post', '*'], yes: ['com.example.thing'], no: [] },
    {
      // comma lists, whitespace and empties as the Go original's flag parsing leaves them
      patterns: [' app.bsky.feed.post , fm.teal.* ', '', ','],
      yes: ['app.bsky.feed.post', 'fm.teal.x'],
      no: ['app.bsky.feed.like', ''],
    },
    { patterns: [], yes: [], no: ['app.bsky.feed.post'] },
  ]
  for (const { patterns, yes, no } of table) {
    test(JSON.stringify(patterns), () => {
      const matches = createCollectionMatcher(patterns)
      for (const c of yes) assert.equal(matches(c), true, `${c} matches`)
      for (const c of no) assert.equal(matches(c), false, `${c} does not match`)
    })
  }

  test('many patterns: agrees with a plain scan', () => {
    const patterns: string[] = []
    for (let i = 0; i < 500; i++) patterns.push(`com.example${i}.feed.post`, `org.ns${i}.*`)
    const matches = createCollectionMatcher(patterns)
    const naive = (c: string) =>
      patterns.some((p) =>
        p.endsWith('.*') ? c === p.slice(0, -2) || c.startsWith(p.slice(0, -1)) : c === p,
      )
    const probes = [
      'com.example7.feed.post',
      'com.example7.feed.like',
      'org.ns499',
      'org.ns499.a.b',
      'org.ns500.a',
      'org.ns4',
      'org.ns4x.a',
      'org',
      'a.b.c.d.e.f',
    ]
    for (const c of probes) assert.equal(matches(c), naive(c), c)
  })
})

describe('validateCollectionPattern', () => {
  const invalid = [
    '',
    'app.*.post',
    '*.bsky.app',
    '*.',
    'app..bsky',
    '.app.bsky',
    'app.bsky.',
    'app.bsky.*.*',
    'app.bsky*',
    'app.bsky.feed.*post',
    '**',
    'app bsky',
    'app.bsky.feed/post',
  ]
  for (const p of invalid) {
    test(`invalid: ${JSON.stringify(p)}`, () => {
      const problem = validateCollectionPattern(p)
      assert.ok(problem, 'a problem is reported')
      if (p !== '')
        assert.ok(problem.includes(JSON.stringify(p)), `the message names the pattern: ${problem}`)
    })
  }
  const valid = [
    '*',
    'app.bsky.feed.post',
    'app.bsky.*',
    'app.*',
    'com.example-app.thing',
    'fm.teal.alpha.feed.play',
  ]
  for (const p of valid) {
    test(`valid: ${JSON.stringify(p)}`, () => assert.equal(validateCollectionPattern(p), undefined))
  }
})

test('parseCollectionPatterns splits on commas, trims and drops empties', () => {
  assert.deepEqual(parseCollectionPatterns(' a.b.c ,, d.* ,'), ['a.b.c', 'd.*'])
  assert.deepEqual(parseCollectionPatterns(['a.b.c,e.f.g', ' ', 'h.*']), ['a.b.c', 'e.f.g', 'h.*'])
  assert.deepEqual(parseCollectionPatterns(''), [])
})
