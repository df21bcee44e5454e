/**
 * Import rules: no cycles, and layers import one way:
 *   lib → config, db → services → graphql → pipeline → transports (server: HTTP, mcp, cli) → app (composition root).
 * Transports do not import each other; the CLI is an HTTP client of Pact.
 */
const LAYERS = ['lib', 'config', 'db', 'services', 'graphql', 'pipeline', 'server', 'mcp', 'cli', 'app'];
/** What each layer may not import. */
const FORBIDDEN = {
  lib: ['config', 'db', 'services', 'graphql', 'pipeline', 'server', 'mcp', 'cli', 'app'],
  config: ['db', 'services', 'graphql', 'pipeline', 'server', 'mcp', 'cli', 'app'],
  db: ['services', 'graphql', 'pipeline', 'server', 'mcp', 'cli', 'app'],
  services: ['graphql', 'pipeline', 'server', 'mcp', 'cli', 'app'],
  graphql: ['pipeline', 'server', 'mcp', 'cli', 'app'],
  pipeline: ['server', 'mcp', 'cli', 'app'],
  server: ['mcp', 'cli', 'app'],
  mcp: ['server', 'cli', 'app'],
};
/**
 * Service areas and the areas each may import (one way: no area imports one that imports it).
 * Top-level service modules (context, input, index, security-events) are shared by all.
 */
const AREAS = {
  keys: [],
  limits: [],
  auth: [],
  oauth: ['auth'],
  consent: ['keys'],
  crm: ['consent', 'keys'],
  audit: ['auth', 'keys'],
  'key-admin': ['crm', 'keys'],
  agents: ['audit', 'auth', 'consent', 'crm', 'keys'],
  seed: ['auth', 'consent', 'crm', 'keys'],
  federation: ['audit', 'auth', 'consent', 'crm', 'keys', 'limits'],
};
const area = (name, allowed) => ({
  name: `services-${name}-imports-only-its-areas`,
  severity: 'error',
  comment: `src/services/${name} may import only ${allowed.length ? allowed.join(', ') : 'no other area'} of the service areas`,
  from: { path: `^src/services/${name}/` },
  to: { path: `^src/services/(?!(${[name, ...allowed].join('|')})/)[^/]+/` },
});
const layer = (from, forbidden) => ({
  name: `${from}-imports-one-way`,
  severity: 'error',
  comment: `src/${from} may not import from ${forbidden.join(', ')} (layers: ${LAYERS.join(' → ')})`,
  from: { path: `^src/${from}/` },
  to: { path: `^src/(${forbidden.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    ...Object.entries(FORBIDDEN).map(([from, forbidden]) => layer(from, forbidden)),
    ...Object.entries(AREAS).map(([name, allowed]) => area(name, allowed)),
    {
      name: 'services-areas-are-listed',
      severity: 'error',
      comment: 'every service area is listed in AREAS with what it may import',
      from: { path: `^src/services/(?!(${Object.keys(AREAS).join('|')})/)[^/]+/` },
      to: { path: '^src/services/[^/]+/' },
    },
    {
      name: 'graphql-reads-through-services',
      severity: 'error',
      comment: 'src/graphql resolvers reach the database only through services (types excepted)',
      from: { path: '^src/graphql/' },
      to: { path: '^src/db/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-runtime-codegen',
      severity: 'error',
      comment: 'src/codegen runs at build time only: nothing at run time imports it',
      from: { path: '^src/', pathNot: '^src/codegen/' },
      to: { path: '^src/codegen/' },
    },
    {
      name: 'cli-is-an-http-client',
      severity: 'error',
      comment: 'src/cli talks to Pact over HTTP: of the rest of src it may import only the scope constants',
      from: { path: '^src/cli/' },
      to: { path: '^src/(?!cli/)', pathNot: '^src/services/auth/scopes\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|migrations|schema)/' },
  },
};
