// Debian's chromium (/usr/bin/chromium, installed by scripts/setup-browser.sh) driven by
// playwright-core, which never downloads a browser. Flags keep it offline and quiet: these
// machines have no internet, and chromium otherwise keeps trying Google's services.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

const CHROMIUM = process.env.ATKAFKA_CHROMIUM ?? '/usr/bin/chromium'

export interface Browser extends AsyncDisposable {
  readonly page: Page
  close(): Promise<void>
}

/** A headless chromium with a fresh profile and one page. */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'atkafka-chromium-'))
  let context: BrowserContext
  try {
    // a persistent context is how playwright takes a profile directory of ours
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 60_000,
    })
  } catch (err) {
    rmSync(profile, { recursive: true, force: true })
    throw new Error(`cannot start ${CHROMIUM} (bash scripts/setup-browser.sh installs it)`, { cause: err })
  }
  const page = context.pages()[0] ?? (await context.newPage())
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= context.close().finally(() => rmSync(profile, { recursive: true, force: true }))
    return closing
  }
  return { page, close, [Symbol.asyncDispose]: close }
}

/** The numbers the status page shows, read from its data-field elements ("12,345" → 12345; "–" → undefined). */
export async function readStatusPage(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-field]', (els) =>
    Object.fromEntries(els.map((el) => [el.getAttribute('data-field') ?? '', el.textContent ?? ''])),
  )
}

export function pageNumber(fields: Record<string, string>, field: string): number | undefined {
  const text = fields[field]
  if (text === undefined) return undefined
  const n = Number(text.replaceAll(',', ''))
  return text.trim() === '' || Number.isNaN(n) ? undefined : n
}
