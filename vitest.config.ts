import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql module instance: vite would otherwise load its ESM build beside the CJS one Pothos requires.
    alias: { graphql: require.resolve('graphql') },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The fault tests run with `npm run test:faults` (vitest.faults.config.ts).
    exclude: ['test/faults/**', 'test/ui/**', 'node_modules/**'],
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
