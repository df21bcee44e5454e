import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Browser tests of the console (`npm run test:ui`): headless Chromium, run once (not per database). */
export default defineConfig({
  resolve: {
    alias: [
      { find: 'graphql', replacement: require.resolve('graphql') },
      // The author SDK from its sources (the MCP servers page publishes a server made with it).
      { find: /^@pact\/mcp-server$/, replacement: fileURLToPath(new URL('./packages/mcp-server/src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/ui/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/global-setup.ts', 'test/ui/build-console.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
