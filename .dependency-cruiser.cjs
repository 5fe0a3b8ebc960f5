// The import layers of src/ (npm run depcheck; part of npm run check and .ci/run). A module may
// import its own floor and the floors below it, never one above; no import cycles; a source's
// folder imports no other source's folder (only the shared event-stream/ and websocket/).
// Floors, lowest first: what each names is a path under src/.
const FLOORS = [
  ['errors.ts', 'logging/', 'events/', 'metrics/'],
  ['filters/', 'identity/', 'output/'],
  ['config/'],
  ['encode/', 'kafka/', 'pipeline/'],
  ['cursor/', 'enrich/', 'standby/', 'tail/'],
  ['sink/'],
  ['status/'],
  // every source (the catalog excepted): its folder, the shared framing and sockets, the entry type
  ['sources/(?!catalog\\.ts)'],
  ['sources/catalog\\.ts'],
  // atkafka backfill: beside the app (its own composition; it uses the sources' shared parts and the output)
  ['app-metrics\\.ts', 'app\\.ts', 'backfill/'],
  ['cli/'],
]
const path = (names) => `^src/(${names.join('|')})`
const upward = FLOORS.slice(0, -1).map((floor, i) => ({
  name: `floor-${i}-imports-up`,
  comment: `${floor.join(' ')} import nothing above them`,
  severity: 'error',
  from: { path: path(floor) },
  to: { path: path(FLOORS.slice(i + 1).flat()) },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'an import cycle: two modules that need each other belong in one, or their shared part below both',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'source-imports-another-source',
      comment: 'a source folder uses its own code and the shared event-stream/ and websocket/ only',
      severity: 'error',
      from: { path: '^src/sources/([^/]+)/' },
      to: { path: '^src/sources/(?!$1/|event-stream/|websocket/)[^/]+/' },
    },
    {
      name: 'every-file-in-a-floor',
      comment: 'a module of src/ no floor names: give it one in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: path(FLOORS.flat()) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // type-only imports count: a type from above is a dependency on what is above
    moduleSystems: ['es6'],
  },
}
