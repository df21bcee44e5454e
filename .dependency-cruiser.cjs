/** Import rules: no cycles, and layers import one way (lib → config/db → services → graphql → server → mcp); cli stands apart. */
const layer = (from, forbidden) => ({
  name: `${from}-imports-one-way`,
  severity: 'error',
  comment: `src/${from} may not import from ${forbidden.join(', ')}`,
  from: { path: `^src/${from}/` },
  to: { path: `^src/(${forbidden.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    layer('lib', ['config', 'db', 'services', 'graphql', 'server', 'mcp', 'cli']),
    layer('db', ['services', 'graphql', 'server', 'mcp', 'cli']),
    layer('services', ['graphql', 'server', 'mcp', 'cli']),
    layer('graphql', ['server', 'mcp', 'cli']),
    {
      name: 'cli-is-an-http-client',
      severity: 'error',
      comment: 'src/cli talks to Pact over HTTP: of the rest of src it may import only the scope constants',
      from: { path: '^src/cli/' },
      to: { path: '^src/(?!cli/)', pathNot: '^src/services/auth/scopes\\.ts$' },
    },
    {
      ...layer('server', ['mcp', 'cli']),
      comment: 'src/server may not import src/mcp, except the composition root (start.ts, main.ts)',
      from: { path: '^src/server/', pathNot: '^src/server/(start|main)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|migrations|schema)/' },
  },
};
