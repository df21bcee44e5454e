import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
const faults = process.env.PACT_TEST_FAULTS === '1';

export default defineConfig({
  resolve: {
    // One graphql module instance: vite would otherwise load its ESM build beside the CJS one Pothos requires.
    alias: { graphql: require.resolve('graphql') },
  },
  test: {
    // Fault and fuzz suites (test/faults) run on their own (`npm run test:faults`), not in `npm test`.
    include: faults ? ['test/faults/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: faults ? ['**/node_modules/**'] : ['test/faults/**', '**/node_modules/**'],
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
