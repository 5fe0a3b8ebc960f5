// --topic-routes: the spec's syntax and every way it can be wrong, and where events go.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  matchesTemplate,
  parseTopicRoutes,
  type TopicRoutes,
  topicCollisions,
  topicNameProblem,
} from '../../../src/output/topic-routes.ts'
import { createTopicRouter } from '../../../src/sink/topic-router.ts'

const parse = (spec: string): TopicRoutes => {
  const { routes, problems } = parseTopicRoutes(spec.split(','))
  assert.deepEqual(problems, [])
  assert.ok(routes)
  return routes
}
const op = (collection: string) => ({ kind: 'operation', collection })

describe('parseTopicRoutes', () => {
  test('the example of the issue: overrides, a catch-all and kinds', () => {
    const routes = parse(
      'app.bsky.feed.post=posts, app.bsky.feed.like=likes,*=atproto-other,#account=accounts,#identity=identities',
    )
    assert.deepEqual(routes.literalTopics, ['posts', 'likes', 'atproto-other', 'accounts', 'identities'])
    assert.deepEqual(routes.templates, [])
    assert.deepEqual(
      [...routes.kinds],
      [
        ['account', 'accounts'],
        ['identity', 'identities'],
      ],
    )
  })

  test('a template: one topic per collection', () => {
    const routes = parse('*=atproto.{collection},app.bsky.feed.like=likes')
    assert.deepEqual(routes.templates, [{ kind: 'template', prefix: 'atproto.', suffix: '' }])
    assert.deepEqual(routes.literalTopics, ['likes'])
    assert.ok(matchesTemplate('atproto.app.bsky.feed.post', routes.templates[0]!))
    assert.ok(!matchesTemplate('atproto.', routes.templates[0]!))
    assert.ok(!matchesTemplate('likes', routes.templates[0]!))
  })

  test('empty entries are ignored; an empty spec routes nothing', () => {
    const { routes, problems } = parseTopicRoutes(['', ' '])
    assert.deepEqual(problems, [])
    assert.equal(routes?.collections.size, 0)
    assert.equal(routes?.anyCollection, undefined)
  })

  test('every problem is reported, each naming its entry', () => {
    const { routes, problems } = parseTopicRoutes([
      'posts',
      'app.bsky.feed.post=po$ts',
      'app..bsky=x',
      'app.*.feed=x',
      '#moderation=x',
      '#account={collection}',
      '#identity=a',
      '#identity=b',
      '*=a',
      '*=b',
      'app.bsky.feed=c',
      'app.bsky.feed.*=d',
      'x.y.z=a{kind}',
      'x.y.w={collection}.{collection}',
      'x.y.v=bad!{collection}',
      `x.y.u=${'a'.repeat(250)}`,
      `x.y.t=${'a'.repeat(240)}{collection}`,
      'x.y.s=..',
      'x.y.r=',
    ])
    assert.equal(routes, undefined)
    const expected = [
      /^route "posts": expected selector=topic/,
      /^route app\.bsky\.feed\.post: invalid topic name "po\$ts"/,
      /^route app\.\.bsky: invalid collection pattern/,
      /^route app\.\*\.feed: invalid collection pattern/,
      /^route #moderation: unknown event kind; kinds are #account, #identity, #sync, #info/,
      /^route #account: \{collection\} is for collection routes/,
      /^route #identity: given twice/,
      /^route \*: given twice/,
      /^route app\.bsky\.feed\.\*: app\.bsky\.feed is routed twice/,
      /^route x\.y\.z: unknown placeholder/,
      /^route x\.y\.w: \{collection\} may appear once/,
      /^route x\.y\.v: invalid topic template/,
      /^route x\.y\.u: invalid topic name/,
      /^route x\.y\.t: topic template .* leaves no room/,
      /^route x\.y\.s: invalid topic name "\.\."/,
      /^route x\.y\.r: invalid topic name ""/,
    ]
    assert.equal(problems.length, expected.length, problems.join('\n'))
    for (const [i, re] of expected.entries()) assert.match(problems[i]!, re)
  })
})

describe('topic names', () => {
  test('what Kafka accepts', () => {
    for (const ok of ['a', 'atproto-events', 'A.b_c-9', 'x'.repeat(249), '...'])
      assert.equal(topicNameProblem(ok), undefined)
    for (const bad of ['', '.', '..', 'x'.repeat(250), 'a b', 'a/b', 'é', 'a{b}'])
      assert.ok(topicNameProblem(bad), bad)
  })

  test('names that differ only in . and _ collide', () => {
    assert.deepEqual(topicCollisions(['a.b', 'c', 'a.b', 'd_e']), [])
    const problems = topicCollisions(['a.b', 'a_b', 'x_y.z', 'x.y_z'])
    assert.equal(problems.length, 2)
    assert.match(problems[0]!, /"a\.b" and "a_b" collide/)
  })
})

describe('createTopicRouter', () => {
  test('no routes: everything to the default topic', () => {
    const route = createTopicRouter(undefined, { defaultTopic: 'out' })
    assert.equal(route(op('app.bsky.feed.post')), 'out')
    assert.equal(route({ kind: 'account' }), 'out')
  })

  test('the most specific collection route wins, whatever the order; then *, then the default', () => {
    const route = createTopicRouter(
      parse('app.bsky.*=bsky,*=other,app.bsky.feed.post=posts,app.bsky.feed=feed,#sync=syncs'),
      { defaultTopic: 'out' },
    )
    assert.equal(route(op('app.bsky.feed.post')), 'posts')
    assert.equal(route(op('app.bsky.feed.postgate')), 'feed')
    assert.equal(route(op('app.bsky.feed.like')), 'feed')
    assert.equal(route(op('app.bsky.graph.follow')), 'bsky')
    assert.equal(route(op('app.bsky')), 'bsky')
    assert.equal(route(op('com.example.thing')), 'other')
    // memoised answers are the same answers
    assert.equal(route(op('app.bsky.feed.post')), 'posts')
    assert.equal(route({ kind: 'sync' }), 'syncs')
    assert.equal(route({ kind: 'identity' }), 'out')
    assert.equal(route({ kind: 'info' }), 'out')
  })

  test('without *: collections no route selects go to the default topic', () => {
    const route = createTopicRouter(parse('app.bsky.feed.post=posts'), { defaultTopic: 'out' })
    assert.equal(route(op('app.bsky.feed.like')), 'out')
  })

  test('templates: the collection in the name; a name Kafka would refuse, or a reserved one, gives the default', () => {
    const route = createTopicRouter(parse('*=atproto.{collection}.v1,app.bsky.feed.like=likes'), {
      defaultTopic: 'out',
      reserved: ['atproto.x.y.z.v1'],
    })
    assert.equal(route(op('app.bsky.feed.post')), 'atproto.app.bsky.feed.post.v1')
    assert.equal(route(op('app.bsky.feed.like')), 'likes')
    assert.equal(route(op(`com.${'a'.repeat(240)}.x`)), 'out')
    assert.equal(route(op('com.example.a/b')), 'out')
    assert.equal(route(op('x.y.z')), 'out')
  })

  test('property: every routed topic is a legal Kafka name, for any collection string', () => {
    const route = createTopicRouter(parse('*={collection},app.bsky.*=bsky-{collection}'), {
      defaultTopic: 'out',
    })
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (collection) => {
        assert.equal(topicNameProblem(route(op(collection))), undefined)
      }),
    )
  })
})
