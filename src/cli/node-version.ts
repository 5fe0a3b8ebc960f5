// Which Node.js atkafka runs on: the range package.json's engines.node declares (what its
// dependencies need: @platformatic/kafka asks for 22.22), checked before anything else loads,
// so an older Node stops with exit code 2 and a message instead of failing at run time (Node
// 20 served the metrics port, then died on Promise.withResolvers). Pure; no imports.

/** ">=22.22.0" → [22, 22, 0]; only the `>=X.Y.Z` form is used */
function minimum(range: string): [number, number, number] | undefined {
  const m = /^\s*>=\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(range)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
}

/** undefined when `version` (process.versions.node) satisfies `range`, else what to tell the user */
export function nodeVersionProblem(range: string, version: string, execPath: string): string | undefined {
  const min = minimum(range)
  if (!min) return undefined
  const have = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0
    if (a > min[i]!) return undefined
    if (a < min[i]!) {
      return (
        `atkafka needs Node.js ${range.trim()}; this is Node.js ${version} (${execPath}).\n` +
        'Install Node.js 24 LTS (https://nodejs.org/en/download, or `nvm install 24`) and run atkafka with it;\n' +
        'in a checkout, `source scripts/node-env.sh` installs Node 24 into .cache/ and puts it first on PATH.\n'
      )
    }
  }
  return undefined
}
