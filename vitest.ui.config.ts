import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Browser tests of the console (`npm run test:ui`): headless Chromium, run once (not per database). */
export default defineConfig({
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    include: ['test/ui/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/global-setup.ts', 'test/ui/build-console.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
