// The status page of a `backfill work` process, served at / on its metrics port: the fleet's
// progress (items planned, consumed by the group, left, items/s, ETA: read from Kafka every
// few seconds), this worker's own numbers (records/s, repos done, failed by reason, retries,
// aborted transactions) and each PDS host's state. The same script as the live modes' page
// (status-page.ts) fills it from /status.json.
import { escapeHtml, statusPageShell } from './status-page.ts'

export function backfillPageHtml(): string {
  const row = (label: string, field: string, format?: string) =>
    `      <tr><th>${escapeHtml(label)}</th><td class="n" data-field="${field}"${format ? ` data-format="${format}"` : ''}>…</td></tr>`
  return statusPageShell(
    'atkafka backfill',
    `  <span><b data-field="command">…</b></span>
  <span class="dim">work topic <span class="mono" data-field="workTopic">…</span></span>`,
    `  <section>
    <h2>Fleet (from Kafka)</h2>
    <div class="big"><span data-field="fleet.left">…</span> <span class="unit">repos left</span></div>
    <table>
${row('planned (work items)', 'fleet.items')}
${row('consumed by the group', 'fleet.consumed')}
${row('repos/s', 'fleet.itemsPerSecond', 'rate')}
${row('ETA', 'fleet.etaSeconds', 'duration')}
${row('measured over (s)', 'fleet.seconds')}
    </table>
  </section>
  <section>
    <h2>This worker</h2>
    <div class="big"><span data-field="recordsPerSecond" data-format="rate">…</span> <span class="unit">records/s</span></div>
    <table>
${row('repos done', 'totals.done')}
${row('skipped (done before)', 'totals.skipped')}
${row('failed', 'totals.failed')}
${row('records produced', 'totals.records')}
${row('aborted transactions', 'totals.abortedTransactions')}
    </table>
  </section>
  <section>
    <h2>Failed by reason</h2>
    <table data-table="failed" data-empty="no repo failed"></table>
  </section>
  <section>
    <h2>Retries by reason</h2>
    <table data-table="retries" data-empty="no retries"></table>
  </section>
  <section>
    <h2>PDS hosts: requests open</h2>
    <table data-table="hostRequests.open" data-empty="none open"></table>
  </section>
  <section>
    <h2>PDS hosts: waiting for a slot</h2>
    <table data-table="hostRequests.waiting" data-empty="none waiting"></table>
  </section>
  <section>
    <h2>PDS hosts: paused by Retry-After (s)</h2>
    <table data-table="hostRequests.pausedSeconds" data-empty="none paused"></table>
  </section>`,
  )
}
