import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The browser tests drive the built console: build it once when `npm install` has not (or PACT_UI_REBUILD=1). */
export default function setup() {
  if (existsSync('console/dist/index.html') && !process.env.PACT_UI_REBUILD) return;
  execFileSync(process.execPath, ['scripts/build-console.mjs'], { stdio: 'inherit' });
}
