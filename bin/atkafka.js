#!/usr/bin/env node
// In a checkout, run the TypeScript sources directly (Node >= 22.18 strips types), so the CLI
// is never older than the code; an installed package (no src/) runs the compiled dist/.
import { existsSync } from 'node:fs'

const src = new URL('../src/cli/main.ts', import.meta.url)
const useSrc = existsSync(src) && Boolean(process.features.typescript)
await import(useSrc ? src.href : new URL('../dist/cli/main.js', import.meta.url).href)
