import { fileURLToPath } from 'node:url';
import config from '../codegen';
import { findDrift } from '../src/codegen/drift';

// `npm run codegen:check`: fails when regenerating (graphql-codegen, in memory) would change any generated file.
const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

try {
  const drift = await findDrift(config, root);
  if (drift.length > 0) {
    console.error('Generated files are out of date: run `npm run codegen` and commit the result.');
    for (const d of drift) console.error(`  ${d.problem.padEnd(7)} ${d.file}`);
    process.exit(1);
  }
  console.log('Generated files (typed operations, persisted-operations manifest, MCP tool table) are up to date.');
} catch (error) {
  console.error(`codegen failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
