#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=150 --no-allocation-site-pretenuring
// V8 flags (docs/performance.md): --max-semi-space-size=8 (MB), a smaller young generation;
// --heap-growing-percent=150, the old generation grows by 2.5x between full GCs instead of up to
// 4x. Together they keep peak RSS near 225 MB at full firehose speed (instead of ~290 MB, or
// ~370 MB with V8's defaults) at no measurable cost in throughput; 50 (1.5x) gives ~190 MB but
// costs 10-15 % of relay and Tap throughput. --no-allocation-site-pretenuring: V8 otherwise
// may start allocating decoded frames straight in the old generation (they die young), which
// cost enriched relay runs ~8 % of their throughput in full GCs; no effect on the others.
// In a checkout, run the TypeScript sources directly (Node >= 22.18 strips types), so the CLI
// is never older than the code; an installed package (no src/) runs the compiled dist/.
// First, before anything else loads: the Node.js version package.json's engines.node asks for
// (src/cli/node-version.ts says the same from dist/cli/main.js; an older Node cannot load it).
import { existsSync, readFileSync } from 'node:fs'

const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node
const have = process.versions.node.split('.').map(Number)
const want = range
  .replace(/^\s*>=\s*/, '')
  .split('.')
  .map(Number)
if ((have[0] - want[0] || have[1] - want[1] || have[2] - want[2]) < 0) {
  process.stderr.write(
    `atkafka needs Node.js ${range.trim()}; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      'Install Node.js 24 LTS (https://nodejs.org/en/download, or `nvm install 24`) and run atkafka with it;\n' +
      'in a checkout, `source scripts/node-env.sh` installs Node 24 into .cache/ and puts it first on PATH.\n',
  )
  process.exit(2)
}

const src = new URL('../src/cli/main.ts', import.meta.url)
const useSrc = existsSync(src) && Boolean(process.features.typescript)
await import(useSrc ? src.href : new URL('../dist/cli/main.js', import.meta.url).href)
