// The server as `npm start` runs it: src/ and most dependencies bundled by esbuild into dist/server-<id>/ (ES
// modules, one chunk per lazily imported part), so a start loads a few large files of plain JavaScript instead
// of compiling TypeScript through tsx's loader and resolving a thousand modules one by one. The root `prepare`
// script builds it; `npm start` rebuilds it when a source it was built from has changed since (a few seconds),
// so it never runs stale code.
//
// dist/server.json names the current build and the sources it was built from. A build writes a new directory and
// then swaps that file by rename, so concurrent starts never see half a build; the five newest builds are kept
// (a running server may still load a lazy chunk from its own).
//
// Run directly (`node scripts/server-bundle.mjs`) it builds; with `--if-stale`, only when the build is out of date.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const pointer = join(dist, 'server.json');
const KEEP = 5;

/**
 * Dependencies loaded from node_modules as they are: WebAssembly or native code found next to their own files
 * (PGlite, argon2), CommonJS that reads files through `__dirname` (ioredis), worker-thread transports (pino),
 * postgres.js (patched in place by scripts/patch-postgres.mjs), and large SDKs loaded only on demand.
 */
const EXTERNAL = ['@electric-sql/pglite', '@node-rs/argon2', 'ioredis', 'pino', 'pino-pretty', 'postgres', '@anthropic-ai/sdk', 'openai', '@graphql-yoga/render-graphiql', 'esbuild', 'tsx'];

/** What npm last installed (its record of node_modules): a build bundles dependencies, so an install makes it stale. */
function lockStamp() {
  try {
    const stat = statSync(join(root, 'node_modules', '.package-lock.json'));
    return `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return 'none';
  }
}

/** The current build's record, or null when there is none (or it cannot be read). */
function readPointer() {
  try {
    const record = JSON.parse(readFileSync(pointer, 'utf8'));
    return typeof record.dir === 'string' && Array.isArray(record.inputs) && typeof record.builtAt === 'number' && record.lock === lockStamp() ? record : null;
  } catch {
    return null;
  }
}

/** Why the current build cannot be used (a sentence), or null when it is up to date. */
export function staleReason(record = readPointer()) {
  if (!record) return 'not built yet, or dependencies changed';
  try {
    statSync(join(dist, record.dir, 'main.mjs'));
  } catch {
    return 'its files are missing';
  }
  for (const input of record.inputs) {
    let mtime;
    try {
      mtime = statSync(join(root, input)).mtimeMs;
    } catch {
      return `${input} is gone`;
    }
    if (mtime > record.builtAt) return `${input} changed`;
  }
  return null;
}

/** Bundles src/app/main.ts into a new dist/server-<id>/ and makes it the current build. */
export async function buildServer() {
  const { build } = await import('esbuild');
  const builtAt = Date.now();
  const lock = lockStamp();
  const dir = `server-${builtAt.toString(36)}-${randomBytes(3).toString('hex')}`;
  // Chunks sit next to main.mjs, two levels below the root like src/<area>/<file>.ts, so the sources'
  // `new URL('../../migrations', import.meta.url)` finds the same files.
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/app/main.ts' },
    outdir: join(dist, dir),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // Bundled CommonJS calls `require` for Node's built-ins and the external packages.
    banner: { js: "import { createRequire as __pactCreateRequire } from 'node:module'; const require = __pactCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules/'))
    .map((input) => relative(root, join(root, input)))
    .sort();
  mkdirSync(dist, { recursive: true });
  const next = `${pointer}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify({ dir, builtAt, lock, inputs }, null, 1)}\n`);
  renameSync(next, pointer);
  const builds = readdirSync(dist)
    .filter((name) => name.startsWith('server-') && name !== dir)
    .map((name) => ({ name, mtime: statSync(join(dist, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP - 1)) rmSync(join(dist, old.name), { recursive: true, force: true });
  return { dir, inputs: inputs.length };
}

/**
 * The URL of the current build's entry, rebuilding first when it is missing or older than a source.
 * `onBuild(reason)` is called before a rebuild and returns a function called when it is done.
 */
export async function ensureServer(onBuild = () => () => {}) {
  const reason = staleReason();
  if (reason) {
    const done = onBuild(reason);
    await buildServer();
    done();
  }
  const record = readPointer();
  return pathToFileURL(join(dist, record.dir, 'main.mjs')).href;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const began = performance.now();
  if (process.argv.includes('--if-stale') && !staleReason()) process.exit(0);
  const { dir, inputs } = await buildServer();
  console.log(`pact: built the server (${inputs} sources) into dist/${dir} in ${((performance.now() - began) / 1000).toFixed(1)}s`);
}
