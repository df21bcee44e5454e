import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql module instance: vite would otherwise load its ESM build beside the CJS one Pothos requires.
    alias: [
      { find: 'graphql', replacement: require.resolve('graphql') },
      // The author SDK from its sources (its dist/ is built by `npm install`, and may be stale).
      { find: /^@pact\/mcp-server$/, replacement: fileURLToPath(new URL('./packages/mcp-server/src/index.ts', import.meta.url)) },
      { find: /^@pact\/mcp-server\/testing$/, replacement: fileURLToPath(new URL('./packages/mcp-server/src/testing.ts', import.meta.url)) },
    ],
  },
  test: {
    // The console's component tests run here too (happy-dom, chosen per file).
    include: ['test/**/*.test.ts', 'console/test/**/*.test.tsx'],
    // The fault tests run with `npm run test:faults` (vitest.faults.config.ts).
    exclude: ['test/faults/**', 'test/ui/**', 'node_modules/**'],
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
