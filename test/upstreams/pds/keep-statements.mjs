// Preloaded into the local PDS (node --import) by test/helpers/local-pds.ts. With
// better-sqlite3 12 on Node 24, V8 finalizing a garbage-collected prepared Statement can trip
// `Assertion failed: (env) != nullptr` in node::RemoveEnvironmentCleanupHook and kill the PDS
// under a few hundred writes. Keeping every Statement reachable means none is ever finalized
// (a test PDS lives for one test file; its statements cost a few MB).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// the native class: pragma() and transactions prepare through it without the JS wrapper
const addon = createRequire(require.resolve('better-sqlite3/package.json'))(
  './build/Release/better_sqlite3.node',
)
const kept = []
const prepare = addon.Database.prototype.prepare
addon.Database.prototype.prepare = function (...args) {
  const statement = prepare.apply(this, args)
  kept.push(statement)
  return statement
}
