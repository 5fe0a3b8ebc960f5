#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build` / `npm ci`); in a checkout without a
// build it runs the TypeScript sources directly (Node >= 22.18 strips types natively).
import { existsSync } from 'node:fs'

const dist = new URL('../dist/cli/main.js', import.meta.url)
await import(existsSync(dist) ? dist.href : new URL('../src/cli/main.ts', import.meta.url).href)
