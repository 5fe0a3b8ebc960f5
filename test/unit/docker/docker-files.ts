// Reads the Dockerfile and the compose files for the tests (no Docker engine needed).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../../helpers/fixture-paths.ts'

export interface ComposeService {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  ports?: string[]
  environment?: Record<string, string | number | boolean | null>
  volumes?: string[]
  depends_on?: string[] | Record<string, { condition: string }>
  healthcheck?: { test: string[] }
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
}

export function readCompose(file: string): { text: string; compose: ComposeFile } {
  const text = readFileSync(join(repoRoot, file), 'utf8')
  return { text, compose: parse(text) as ComposeFile }
}

/** The environment as strings, as the container would see it. */
export function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]))
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
export function readDockerfile(): { instruction: string; args: string }[] {
  const text = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
  const joined = text.replace(/\\\n\s*/g, '')
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf(' ')
      return { instruction: l.slice(0, i).toUpperCase(), args: l.slice(i + 1).trim() }
    })
}

/** The JSON (exec) form of an instruction, e.g. ENTRYPOINT ["node", …]. */
export function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string'))
    throw new Error(`not exec form: ${args}`)
  return parsed
}
