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
// The Node.js version is checked first by the entry it loads (src/cli/main.ts, or on a Node
// without type stripping dist/cli/main.js, which an older Node can load): exit 2 with how to
// get the right one.
import { existsSync } from 'node:fs'

const src = new URL('../src/cli/main.ts', import.meta.url)
const useSrc = existsSync(src) && Boolean(process.features.typescript)
await import(useSrc ? src.href : new URL('../dist/cli/main.js', import.meta.url).href)
