// The root `prepare` script: builds the console bundle (console/dist) with Vite. `npm start` never
// builds it. Without Vite installed (a production install without dev dependencies), it says so and
// leaves the server to answer /ui/ with a page naming this command.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(new URL('../node_modules/vite/package.json', import.meta.url))) {
  console.warn('pact: vite is not installed (dev dependencies omitted): the console bundle was not built.');
  process.exit(0);
}
const result = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
