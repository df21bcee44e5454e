// `npm start`: runs the bundled server (scripts/server-bundle.mjs), rebuilding it first when a source changed.
// Stack traces name the bundle's files; `NODE_OPTIONS=--enable-source-maps npm start` maps them to the sources
// (it costs a few hundred milliseconds of start). `npm run dev` runs the sources through tsx instead.
import process from 'node:process';
import { ensureServer } from './server-bundle.mjs';

const entry = await ensureServer((reason) => {
  const began = performance.now();
  process.stdout.write(`Building the server (${reason}) … `);
  return () => process.stdout.write(`${((performance.now() - began) / 1000).toFixed(1)}s\n`);
});
await import(entry);
