// The status page in a real headless browser (Debian's chromium through playwright-core):
// during a run against a live-paced local relay and the real broker, and during the demo
// (scripts/demo.sh, offline), the numbers it shows move, and they are backed by what Kafka
// holds. Screenshots go to .cache/artifacts/; ATKAFKA_UPDATE_SCREENSHOT=1 also refreshes
// docs/status-page.png from the demo's. Also: the periodic "progress" log line.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { openBrowser, pageNumber, readStatusPage } from '../helpers/browser.ts'
import { recordEvent, startFakeTap } from '../helpers/fake-tap.ts'
import { repoRoot } from '../helpers/fixture-paths.ts'
import { freePort } from '../helpers/free-port.ts'
import { createTopic, readTopic, uniqueTopic } from '../helpers/kafka.ts'
import { startLiveRelay } from '../helpers/live-relay.ts'
import { startApp, waitFor } from '../helpers/run-app.ts'
import { createStopper } from '../helpers/stop-child.ts'

const artifacts = join(repoRoot, '.cache', 'artifacts')
mkdirSync(artifacts, { recursive: true })

/** how the page shows the lag: "0.4 s" up to 2 minutes, then "3 h 12 min", "145 d 2 h" */
const LAG = /^(\d+\.\d s|\d+ d \d+ h|\d+ h \d+ min|\d+ min)$/

/** the numbers that must grow while events flow (one not shown before counts as grown once shown) */
const MOVING = ['totals.handled', 'totals.produced', 'relay.upstreamSeq', 'relay.safeCursor'] as const

const grew = (before: Record<string, string>, after: Record<string, string>, fields: readonly string[]) =>
  fields.every((f) => (pageNumber(after, f) ?? Number.NEGATIVE_INFINITY) > (pageNumber(before, f) ?? -1))

/** the status page at `url` in a fresh headless chromium, closed when the test ends */
async function openStatusPage(t: TestContext, url: string) {
  const browser = await openBrowser()
  t.after(() => browser.close())
  await browser.page.goto(url)
  return browser.page
}

describe('status page', () => {
  test('in headless chromium during a relay run: the numbers move, drops and warnings show, Kafka holds what it says', async (t) => {
    const live = await startLiveRelay({ framesPerTick: 10, tickMs: 250 })
    t.after(() => live.close())
    const dir = mkdtempSync(join(tmpdir(), 'atkafka-status-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const topic = uniqueTopic('status')
    await createTopic(topic, 1)
    const run = await startApp('relay', [
      '--relay-host',
      live.url,
      '--output-topic',
      topic,
      '--cursor-store',
      'file',
      '--cursor-file',
      join(dir, 'cursor.json'),
      '--cursor-save-interval-ms',
      '200',
    ])
    t.after(() => run.stop().catch(() => {}))
    const page = await openStatusPage(t, `http://127.0.0.1:${run.app.metricsPort}/`)

    let first: Record<string, string> = {}
    await waitFor(async () => {
      first = await readStatusPage(page)
      return (
        (pageNumber(first, 'totals.produced') ?? 0) > 0 &&
        pageNumber(first, 'relay.savedCursor') !== undefined
      )
    }, 'the page to show the first events in Kafka and a saved cursor')
    // a frame that is not DAG-CBOR: a counted drop and a warning, both on the page
    live.relay.append([Uint8Array.of(0xff, 0x00, 0x01)])

    let second: Record<string, string> = {}
    await waitFor(async () => {
      second = await readStatusPage(page)
      return (
        grew(first, second, [...MOVING, 'relay.savedCursor']) &&
        (pageNumber(second, 'throughput.handledPerSecond') ?? 0) > 0
      )
    }, 'the numbers on the page to move')
    for (const f of [...MOVING, 'relay.savedCursor'])
      assert.ok(grew(first, second, [f]), `${f}: ${first[f]} → ${second[f]}`)
    assert.ok(
      (pageNumber(second, 'throughput.handledPerSecond') ?? 0) > 0,
      second['throughput.handledPerSecond'],
    )
    assert.match(second.lagSeconds ?? '', LAG, 'lag shown')
    assert.equal(second['upstream.state'], 'connected')
    assert.equal(second['broker.producerReady'], 'yes')
    assert.equal(second['broker.topic'], topic)
    assert.equal(second.command, 'relay')
    assert.equal(await page.isHidden('[data-mode="tap"]'), true)
    assert.equal(await page.isVisible('[data-mode="relay"]'), true)

    await waitFor(
      async () =>
        (await page.textContent('[data-table="dropped"] tr[data-name="malformed_frame"] td.n')) === '1' &&
        ((await page.textContent('#logs tbody')) ?? '').includes('dropped upstream data'),
      'the drop and its warning on the page',
    )
    assert.equal(pageNumber(await readStatusPage(page), 'totals.dropped'), 1)

    // numbers only: no DID or record path of the events on the page
    assert.doesNotMatch((await page.textContent('body')) ?? '', /did:plc:|app\.bsky\.feed\.post\//)
    const shot = join(artifacts, 'status-page-relay.png')
    await page.screenshot({ path: shot, fullPage: true })
    assert.ok(statSync(shot).size > 10_000, 'a screenshot with content')

    // what the page said was produced is in the topic
    const produced = pageNumber(second, 'totals.produced') ?? 0
    const messages = await readTopic(topic, { count: produced, timeoutMs: 20_000 })
    assert.ok(messages.length >= produced, `topic holds ${messages.length}, page said ${produced}`)
  })

  test('in headless chromium during a Tap run: acks sent move with what Tap received', async (t) => {
    const batch = (from: number) => Array.from({ length: 20 }, (_, i) => recordEvent(from + i))
    const tap = await startFakeTap({ events: batch(1) })
    t.after(() => tap.close())
    const topic = uniqueTopic('status-tap')
    await createTopic(topic, 1)
    const run = await startApp('tap', ['--tap-host', tap.url, '--output-topic', topic])
    t.after(() => run.stop().catch(() => {}))
    await tap.waitForAcks({ count: 20 })
    const page = await openStatusPage(t, `http://127.0.0.1:${run.app.metricsPort}/`)
    let first: Record<string, string> = {}
    await waitFor(async () => {
      first = await readStatusPage(page)
      return pageNumber(first, 'tap.acksSent') === 20
    }, 'the page to show the first 20 acks')
    tap.send(batch(21))
    await tap.waitForAcks({ count: 40 })
    let second: Record<string, string> = {}
    await waitFor(async () => {
      second = await readStatusPage(page)
      return pageNumber(second, 'tap.acksSent') === 40
    }, 'the page to show 40 acks')
    assert.equal(tap.ackedIds.size, 40, 'Tap received the acks the page counts')
    assert.ok(grew(first, second, ['totals.handled', 'totals.produced']))
    assert.equal(second.command, 'tap')
    assert.equal(second['upstream.state'], 'connected')
    assert.equal(pageNumber(second, 'tap.unacked'), 0)
    assert.equal(await page.isHidden('[data-mode="relay"]'), true)
    assert.equal(await page.isVisible('[data-mode="tap"]'), true)
    await page.screenshot({ path: join(artifacts, 'status-page-tap.png'), fullPage: true })
  })

  test('/status.json and the progress log line share the numbers; the line carries rate, totals, lag, seq and cursor', async (t) => {
    const live = await startLiveRelay({ framesPerTick: 10, tickMs: 250 })
    t.after(() => live.close())
    const topic = uniqueTopic('progress')
    await createTopic(topic, 1)
    const run = await startApp('relay', [
      '--relay-host',
      live.url,
      '--output-topic',
      topic,
      '--progress-interval-ms',
      '300',
    ])
    t.after(() => run.stop().catch(() => {}))
    type Progress = Record<string, unknown> & { handled: number; eventsPerSecond: number }
    const progress = () => run.logs.filter((l) => l.msg === 'progress') as Progress[]
    // the cursor is null until Kafka has acked a first frame (not 0, which would read as a
    // position): on a loaded machine the first lines with events flowing can come before that
    const flowing = (l: Progress) => l.handled > 0 && l.eventsPerSecond > 0 && l.cursor !== null
    await waitFor(() => progress().some(flowing), 'a progress line with events flowing and a cursor')
    const line = progress().find(flowing) as Progress
    assert.equal(line.level, 30, 'info level')
    assert.equal(line.component, 'progress')
    for (const f of ['produced', 'upstreamSeq', 'cursor', 'lagSeconds', 'inFlight', 'dropped'])
      assert.equal(typeof line[f], 'number', `${f} in ${JSON.stringify(line)}`)
    assert.equal(line.upstream, 'connected')

    const res = await run.http('/status.json')
    assert.equal(res.status, 200)
    const status = JSON.parse(res.body) as {
      command: string
      totals: { handled: number }
      relay: { upstreamSeq: number; safeCursor: number; cursorLocation: string }
      upstream: { url: string; state: string }
    }
    assert.equal(status.command, 'relay')
    assert.ok(status.totals.handled >= line.handled)
    assert.ok(status.relay.upstreamSeq >= (line.upstreamSeq as number))
    assert.equal(status.relay.cursorLocation, 'none')
    assert.equal(status.upstream.url, `${live.url}/`)
    const page = await run.http('/')
    assert.equal(page.status, 200)
    assert.match(page.body, /<script src="\/status\.js"><\/script>/)
    assert.equal((await run.http('/status.js')).status, 200)
  })

  test('the demo (scripts/demo.sh, offline) shows live numbers on its status page: screenshot', async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'atkafka-demo-'))
    const port = await freePort()
    const child = spawn(
      'bash',
      [
        join(repoRoot, 'scripts/demo.sh'),
        '--duration',
        '240',
        '--metrics-port',
        String(port),
        '--work-dir',
        work,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    const stop = createStopper(child, exited, async () => rmSync(work, { recursive: true, force: true }))
    t.after(stop)
    let stderr = ''
    let printed = 0
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.stdout.on('data', (d: Buffer) => {
      printed += d
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('#')).length
    })
    const url = `http://127.0.0.1:${port}/`
    await waitFor(
      () => stderr.includes(`status page       ${url}`) || child.exitCode !== null,
      'the demo to print its status page URL',
      180_000,
    )
    assert.equal(child.exitCode, null, `demo exited early:\n${stderr}`)
    // the URL is printed when atkafka starts, a moment before it listens
    await waitFor(
      () =>
        fetch(url).then(
          (r) => r.ok,
          () => false,
        ),
      'the demo’s status page to answer',
      60_000,
    )

    const browser = await openBrowser()
    t.after(() => browser.close())
    const { page } = browser
    await page.goto(url)
    let first: Record<string, string> = {}
    await waitFor(
      async () => {
        first = await readStatusPage(page)
        return (pageNumber(first, 'totals.produced') ?? 0) > 0
      },
      'the first events on the demo’s page',
      60_000,
    )
    let second: Record<string, string> = {}
    await waitFor(
      async () => {
        second = await readStatusPage(page)
        return (
          grew(first, second, [...MOVING, 'relay.savedCursor']) &&
          (pageNumber(second, 'throughput.handledPerSecond') ?? 0) > 0 &&
          (pageNumber(second, 'throughput.seconds') ?? 0) >= 4
        )
      },
      'the demo’s numbers to move',
      60_000,
    )
    assert.equal(second['upstream.state'], 'connected')
    assert.match(second.lagSeconds ?? '', LAG, 'lag shown')
    assert.ok(printed > 0, 'the demo printed events it read back from Kafka')
    assert.doesNotMatch((await page.textContent('body')) ?? '', /did:plc:|app\.bsky\.feed\.post\//)

    const shot = join(artifacts, 'status-page.png')
    await page.screenshot({ path: shot, fullPage: true })
    assert.ok(statSync(shot).size > 10_000, 'a screenshot with content')
    if (process.env.ATKAFKA_UPDATE_SCREENSHOT) copyFileSync(shot, join(repoRoot, 'docs', 'status-page.png'))

    await browser.close()
    await stop()
    assert.equal(child.exitCode, 0, `demo exit code\n${stderr}`)
  })
})
