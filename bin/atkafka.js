#!/usr/bin/env -S node --max-semi-space-size=8
// --max-semi-space-size=8 (MB): a smaller young generation keeps peak RSS near 250 MB at full
// firehose speed instead of ~370 MB, at no measured cost in throughput (docs/performance.md).
// In a checkout, run the TypeScript sources directly (Node >= 22.18 strips types), so the CLI
// is never older than the code; an installed package (no src/) runs the compiled dist/.
import { existsSync } from 'node:fs'

const src = new URL('../src/cli/main.ts', import.meta.url)
const useSrc = existsSync(src) && Boolean(process.features.typescript)
await import(useSrc ? src.href : new URL('../dist/cli/main.js', import.meta.url).href)
