/**
 * The layering of bn-suite, checked by `npm test` (tests/architecture/layers.test.ts).
 * engine: pure, tfjs injected (type-only imports of @tensorflow/* only), no Node built-ins;
 * hosts: where an engine runs; surfaces: CLI, reports, repro; dev: bench and mutation testing.
 * results/schema.ts is the results.json schema (pure); the rest of results/ reads and merges files.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles', from: {}, to: { circular: true } },
    {
      name: 'engine-not-to-outer-layers',
      severity: 'error',
      comment: 'the engine runs in Node, in a child process per tfjs version and in a browser page: it knows no host or surface',
      from: { path: '^src/engine/' },
      to: { path: '^src/(hosts|surfaces|dev|cli\\.ts|index\\.ts|jest\\.ts)|^src/results/(?!schema)' },
    },
    {
      name: 'engine-no-node-builtins',
      severity: 'error',
      comment: 'the engine must bundle for a browser page: no fs, path, os, child_process, crypto',
      from: { path: '^src/engine/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-tfjs-injected',
      severity: 'error',
      comment: 'the engine receives tfjs by injection (src/engine/tfjs.ts); it may import tfjs types only',
      from: { path: '^src/engine/' },
      to: { path: '@tensorflow/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'results-schema-pure',
      severity: 'error',
      from: { path: '^src/results/schema' },
      to: { path: '^src/(hosts|surfaces|dev)|^src/results/(?!schema)', dependencyTypesNot: [] },
    },
    {
      name: 'results-not-to-outer-layers',
      severity: 'error',
      from: { path: '^src/results/' },
      to: { path: '^src/(hosts|surfaces|dev)' },
    },
    {
      name: 'hosts-not-to-surfaces',
      severity: 'error',
      comment: 'a host runs jobs and returns records; the CLI, reports and repro consume them',
      from: { path: '^src/hosts/' },
      to: { path: '^src/(surfaces|dev|cli\\.ts)' },
    },
    {
      name: 'surfaces-not-to-dev',
      severity: 'error',
      comment: 'bench and mutation testing are dev tools, outside the library path',
      from: { path: '^src/(surfaces|index\\.ts|jest\\.ts|cli\\.ts)' },
      to: { path: '^src/dev/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
