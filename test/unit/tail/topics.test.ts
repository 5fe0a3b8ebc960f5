// Which topics tail follows: --topics, patterns, and the default from --topic-routes.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseTopicRoutes } from '../../../src/output/topic-routes.ts'
import { hasPatterns, selectTopics, tailTopicPatterns } from '../../../src/tail/topics.ts'

describe('tail topics', () => {
  test('default: the output topic; with routes, every topic they write to', () => {
    assert.deepEqual(tailTopicPatterns({ outputTopic: 'out' }), ['out'])
    const { routes } = parseTopicRoutes([
      'app.bsky.feed.post=posts',
      'app.bsky.*=bsky.{collection}.v1',
      '#account=accounts',
      '*=out',
    ])
    assert.deepEqual(tailTopicPatterns({ outputTopic: 'out', topicRoutes: routes }), [
      'out',
      'posts',
      'accounts',
      'bsky.*.v1',
    ])
    assert.deepEqual(
      tailTopicPatterns({ outputTopic: 'out', topicRoutes: routes, tailTopics: ['a', 'a', 'b'] }),
      ['a', 'b'],
    )
  })

  test('names are kept as given; patterns expand against the broker’s topics, internal ones never', () => {
    const existing = [
      'out',
      'bsky.app.bsky.feed.like.v1',
      'bsky.app.bsky.graph.follow.v1',
      'bskyxv1',
      '__consumer_offsets',
      'atproto.x',
    ]
    assert.deepEqual(selectTopics(['posts', 'bsky.*.v1', 'nothing.*'], existing), {
      topics: ['posts', 'bsky.app.bsky.feed.like.v1', 'bsky.app.bsky.graph.follow.v1'],
      unmatched: ['nothing.*'],
    })
    // `.` in a pattern is a dot, not any character
    assert.deepEqual(selectTopics(['atproto.*'], ['atprotoXy', 'atproto.y']).topics, ['atproto.y'])
    assert.deepEqual(selectTopics(['*'], existing).topics, [
      'atproto.x',
      'bsky.app.bsky.feed.like.v1',
      'bsky.app.bsky.graph.follow.v1',
      'bskyxv1',
      'out',
    ])
    assert.equal(hasPatterns(['a', 'b']), false)
    assert.equal(hasPatterns(['a', 'b.*']), true)
  })
})
