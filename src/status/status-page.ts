// The status page served at / on the metrics port: plain HTML and a small script (/status.js)
// that polls /status.json every second and fills in the numbers. No external assets; the
// script writes text only (textContent), never markup from the report. The running source's
// section (its title and rows over its block of the report) comes from its catalog entry.

/** one row of a source's section: a label and the field of its block it shows */
interface StatusRow {
  readonly label: string
  /** a field of the source's block (e.g. `upstreamSeq`), or a path in it */
  readonly field: string
  /** n: a number, right-aligned; mono: an identifier */
  readonly class?: 'n' | 'mono'
  /** how the script shows it (flag: yes/no) */
  readonly format?: 'flag' | 'bytes' | 'lag' | 'rate'
}

/** the running source's section of the page */
export interface StatusSection {
  readonly title: string
  readonly rows: readonly StatusRow[]
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function sectionHtml(command: string, section: StatusSection): string {
  const rows = section.rows.map((r) => {
    const cls = r.class ? ` class="${r.class}"` : ''
    const format = r.format ? ` data-format="${r.format}"` : ''
    return `      <tr><th>${escapeHtml(r.label)}</th><td${cls} data-field="${escapeHtml(`${command}.${r.field}`)}"${format}>…</td></tr>`
  })
  return [
    `  <section data-mode="${escapeHtml(command)}">`,
    `    <h2>${escapeHtml(section.title)}</h2>`,
    '    <table>',
    ...rows,
    '    </table>',
    '  </section>',
  ].join('\n')
}

/** the pages' look (this one's and the backfill worker's, backfill-page.ts) */
const PAGE_STYLE = `  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .dim { color: #aab2c0; }
  main { padding: 16px 20px; display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; }
  section { background: #fff; border-radius: 6px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #5a6475; margin: 0 0 8px; }
  .big { font-size: 30px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .unit { font-size: 14px; color: #5a6475; font-weight: normal; }
  table { border-collapse: collapse; width: 100%; }
  td, th { padding: 2px 6px 2px 0; text-align: left; vertical-align: top; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  th { color: #5a6475; font-weight: normal; white-space: nowrap; }
  .state-connected, .yes { color: #137333; font-weight: 600; }
  .state-connecting, .state-disconnected, .no { color: #b3261e; font-weight: 600; }
  .state-writer { color: #137333; font-weight: 600; }
  .state-standby, .state-joining { color: #1a4f9c; font-weight: 600; }
  .state-fenced { color: #b3261e; font-weight: 600; }
  .warn { color: #8a5a00; }
  .error, .fatal { color: #b3261e; }
  .mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
  #stale { color: #ffb4ab; display: none; }`

/** the page for a run of `command`, with its source's section (its block of the report is under the command's name) */
export function statusPageHtml(command: string, section: StatusSection): string {
  const sourceSection = sectionHtml(command, section)
  return statusPageShell(
    'atkafka status',
    `  <span>firehose <b data-field="command">…</b></span>
  <span data-present="role">role <b data-field="role.state" data-format="state">…</b></span>`,
    `  <section>
    <h2>Throughput</h2>
    <div class="big"><span data-field="throughput.handledPerSecond" data-format="rate">…</span> <span class="unit">events/s</span></div>
    <table>
      <tr><th>produced</th><td class="n"><span data-field="throughput.producedPerSecond" data-format="rate">…</span> /s</td></tr>
      <tr><th>measured over</th><td class="n"><span data-field="throughput.seconds">…</span> s</td></tr>
      <tr><th>handled (total)</th><td class="n" data-field="totals.handled">…</td></tr>
      <tr><th>produced (total)</th><td class="n" data-field="totals.produced">…</td></tr>
      <tr><th>dropped (total)</th><td class="n" data-field="totals.dropped">…</td></tr>
      <tr><th>filtered (total)</th><td class="n" data-field="totals.filtered">…</td></tr>
    </table>
  </section>
  <section>
    <h2>Lag behind the network</h2>
    <div class="big" data-field="lagSeconds" data-format="lag">…</div>
    <table>
      <tr><th>latest event in Kafka</th><td class="n mono" data-field="latestEventTime">…</td></tr>
      <tr><th>in flight</th><td class="n" data-field="inFlight">…</td></tr>
      <tr><th>in flight (bytes)</th><td class="n" data-field="inFlightBytes" data-format="bytes">…</td></tr>
    </table>
  </section>
${sourceSection}
  <section data-present="role">
    <h2>Standby role</h2>
    <table>
      <tr><th>role</th><td data-field="role.state" data-format="state">…</td></tr>
      <tr><th>since</th><td class="mono" data-field="role.since">…</td></tr>
      <tr><th>last takeover</th><td class="mono" data-field="role.lastTakeover.at">…</td></tr>
      <tr><th>at generation</th><td class="n" data-field="role.lastTakeover.generation">…</td></tr>
      <tr><th>group</th><td class="mono" data-field="role.group">…</td></tr>
      <tr><th>fenced because</th><td data-field="role.reason">…</td></tr>
    </table>
  </section>
  <section>
    <h2>Upstream</h2>
    <table>
      <tr><th>url</th><td class="mono" data-field="upstream.url">…</td></tr>
      <tr><th>state</th><td data-field="upstream.state" data-format="state">…</td></tr>
      <tr><th>reconnects</th><td class="n" data-field="upstream.reconnects">…</td></tr>
    </table>
    <table data-table="upstream.errors" data-empty="no error frames or info messages"></table>
  </section>
  <section>
    <h2>Kafka</h2>
    <table>
      <tr><th>bootstrap</th><td class="mono" data-field="broker.bootstrapServers">…</td></tr>
      <tr><th>topic</th><td class="mono" data-field="broker.topic">…</td></tr>
      <tr><th>producer ready</th><td data-field="broker.producerReady" data-format="yesno">…</td></tr>
      <tr><th>produced ok</th><td class="n" data-field="broker.produced.ok">…</td></tr>
      <tr><th>produce errors</th><td class="n" data-field="broker.produced.error">…</td></tr>
      <tr><th>dead-lettered</th><td class="n" data-field="broker.produced.dead_letter">…</td></tr>
    </table>
    <table data-table="broker.topics" data-empty="nothing produced yet"></table>
  </section>
  <section>
    <h2>Drops by reason</h2>
    <table data-table="dropped"></table>
  </section>
  <section>
    <h2>Filtered by kind</h2>
    <table data-table="filtered" data-empty="nothing filtered"></table>
  </section>
  <section class="wide">
    <h2>Recent warnings and errors (<span data-field="logs.counts.warn">…</span> warn, <span data-field="logs.counts.error">…</span> error since start)</h2>
    <table id="logs"><thead><tr><th>time</th><th>level</th><th>component</th><th>message</th><th>details</th></tr></thead><tbody></tbody></table>
  </section>`,
  )
}

/** a status page: its title, the header's own spans (before uptime and update time), its sections; /status.js fills the data-field elements */
export function statusPageShell(title: string, headerSpans: string, sections: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${PAGE_STYLE}
</style>
</head>
<body>
<header>
  <h1>atkafka</h1>
${headerSpans}
  <span class="dim">up <span data-field="uptimeSeconds" data-format="duration">…</span></span>
  <span class="dim">updated <span data-field="generatedAt" data-format="time">…</span></span>
  <span id="stale">status unreachable</span>
</header>
<main>
${sections}
</main>
<script src="/status.js"></script>
</body>
</html>
`
}

export const STATUS_PAGE_JS = `'use strict'
const nf = new Intl.NumberFormat('en-US')
const get = (o, path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), o)
function show(v, format) {
  if (v === null || v === undefined) return '–'
  if (format === 'rate') return v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
  if (format === 'lag') {
    if (v < 120) return v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + ' s'
    const d = Math.floor(v / 86400), h = Math.floor((v % 86400) / 3600), m = Math.floor((v % 3600) / 60)
    return (d ? [d + ' d', h + ' h'] : h ? [h + ' h', m + ' min'] : [m + ' min']).join(' ')
  }
  if (format === 'bytes') {
    if (v < 1024) return nf.format(v) + ' B'
    const [n, unit] = v < 1048576 ? [v / 1024, 'KiB'] : v < 1073741824 ? [v / 1048576, 'MiB'] : [v / 1073741824, 'GiB']
    return n.toLocaleString('en-US', { maximumFractionDigits: 1 }) + ' ' + unit
  }
  if (format === 'yesno' || format === 'flag') return v ? 'yes' : 'no'
  if (format === 'time') return new Date(v).toLocaleTimeString('en-GB')
  if (format === 'duration') {
    const h = Math.floor(v / 3600), m = Math.floor((v % 3600) / 60), s = v % 60
    return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + s + 's'
  }
  if (typeof v === 'number') return nf.format(v)
  if (Array.isArray(v)) return v.join(', ')
  return String(v)
}
function cell(row, text, cls) {
  const td = row.insertCell()
  td.textContent = text
  if (cls) td.className = cls
  return td
}
function fillTable(table, counts) {
  table.replaceChildren()
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (entries.length === 0 && table.dataset.empty) {
    cell(table.insertRow(), table.dataset.empty, 'dim')
    return
  }
  for (const [name, n] of entries) {
    const row = table.insertRow()
    row.dataset.name = name
    cell(row, name, 'mono')
    cell(row, nf.format(n), 'n')
  }
}
function render(r) {
  for (const el of document.querySelectorAll('[data-field]')) {
    const v = get(r, el.dataset.field)
    el.textContent = show(v, el.dataset.format)
    if (el.dataset.format === 'state') el.className = 'state-' + v
    if (el.dataset.format === 'yesno') el.className = v ? 'yes' : 'no'
  }
  for (const el of document.querySelectorAll('[data-mode]')) el.hidden = el.dataset.mode !== r.command
  for (const el of document.querySelectorAll('[data-present]')) el.hidden = get(r, el.dataset.present) == null
  for (const el of document.querySelectorAll('[data-table]')) fillTable(el, get(r, el.dataset.table))
  const body = document.querySelector('#logs tbody')
  if (!body || !r.logs) return
  body.replaceChildren()
  for (const e of r.logs.recent) {
    const row = body.insertRow()
    cell(row, new Date(e.time).toLocaleTimeString('en-GB'))
    cell(row, e.level, e.level)
    cell(row, e.component)
    cell(row, e.msg)
    cell(row, Object.entries(e.fields).map(([k, v]) => k + '=' + v).join(' '), 'mono')
  }
  if (r.logs.recent.length === 0) cell(body.insertRow(), 'none', 'dim').colSpan = 5
}
async function poll() {
  try {
    const res = await fetch('/status.json', { cache: 'no-store' })
    if (!res.ok) throw new Error('HTTP ' + res.status)
    render(await res.json())
    document.getElementById('stale').style.display = 'none'
  } catch {
    document.getElementById('stale').style.display = 'inline'
  }
  setTimeout(poll, 1000)
}
poll()
`
