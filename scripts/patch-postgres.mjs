#!/usr/bin/env node
// Applies Pact's connection-loss fixes to the installed postgres.js 3.4.9 (npm runs this as the
// root package's `postinstall`; run it by hand with `npm run patch:postgres`). Idempotent; fails
// loudly when the installed driver is not the version these edits were written for.
//
// The defects (porsager/postgres#1066, #1154, #1208; unmerged PRs #1168, #1209):
// 1. A transaction's (or reserved) connection that closes keeps serving the transaction's later
//    statements and its ROLLBACK: `execute` buffers them on a connection whose socket is null, and
//    the deferred `nextWrite` throws `Cannot read properties of null (reading 'write')` from a
//    setImmediate callback, an uncaught exception that ends the process. If the pool reconnected
//    the connection meanwhile, the stale statements would go to the new session instead.
//    Fix: a closed transaction or reservation refuses its further statements (and rejects the ones
//    it queued) with CONNECTION_CLOSED; a closed reservation is not put back into the pool.
// 2. `closed()` and `terminate()` cancel the pending write without resetting `nextWriteTimer` and
//    `chunk`: the next session's start-up message is appended behind stale bytes and never
//    flushed, so the connection never comes back. Fix: reset both.
// 3. A query's stale state (`query`, `errorResponse`) survives the close and fails the first query
//    of the next session with the old error. Fix: reset it once the in-flight queries are failed.
// 4. Defence in depth: `nextWrite` without a socket drops the buffer and fails the pending queries
//    instead of throwing; `execute` on a closed, idle connection fails the query.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';

const MARKER = '/* pact-patch: connection-loss fixes (scripts/patch-postgres.mjs) */';
const VERSION = '3.4.9';

const connectionEdits = [
  [
    `  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))
`,
    `  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))

    if (!socket && queues.closed && connection.queue === queues.closed) // pact-patch
      return (queryError(q, Errors.connection('CONNECTION_CLOSED', options)), true)
`,
  ],
  [
    `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    `  function nextWrite(fn) {
    if (!socket) { // pact-patch
      clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
  ],
  [
    `    clearImmediate(nextWriteTimer)
    if (socket) {`,
    `    clearImmediate(nextWriteTimer)
    nextWriteTimer = chunk = null // pact-patch
    if (socket) {`,
  ],
  [
    `    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)`,
    `    clearImmediate(nextWriteTimer)
    nextWriteTimer = chunk = null // pact-patch
    socket.removeListener('data', data)`,
  ],
  [
    `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
`,
    `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    query = results = errorResponse = null // pact-patch
    result = new Result()
`,
  ],
];

const indexEdits = [
  [
    `    c.reserved.release = true

    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null`,
    `    c.reserved.release = true
    let closedError = null // pact-patch
    c.onclose = e => {
      closedError = e
      while (queue.length)
        queue.shift().reject(Errors.connection('CONNECTION_CLOSED', options))
    }

    const sql = Sql(handler)
    sql.release = () => {
      if (closedError) // pact-patch
        return
      c.reserved = null`,
  ],
  [
    `    function handler(q) {
      c.queue === full`,
    `    function handler(q) {
      if (closedError) // pact-patch
        return q.reject(Errors.connection('CONNECTION_CLOSED', options))
      c.queue === full`,
  ],
  [
    `      , connection
      , prepare = null`,
    `      , connection
      , prepare = null
      , closedError = null // pact-patch`,
  ],
  [
    `        new Promise((_, reject) => connection.onclose = reject)`,
    `        new Promise((_, reject) => connection.onclose = e => { // pact-patch
          closedError = e
          while (queries.length)
            queries.shift().reject(Errors.connection('CONNECTION_CLOSED', options))
          reject(e)
        })`,
  ],
  [
    `      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
`,
    `      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        if (closedError) // pact-patch
          return q.reject(Errors.connection('CONNECTION_CLOSED', options))
`,
  ],
];

/** The installed driver's root folder (its exports hide package.json, so climb from the CommonJS entry). */
function postgresRoot() {
  const require = createRequire(import.meta.url);
  return dirname(dirname(dirname(require.resolve('postgres'))));
}

function patchFile(file, edits) {
  const source = readFileSync(file, 'utf8');
  if (source.includes(MARKER)) return false;
  let patched = source;
  for (const [before, after] of edits) {
    const at = patched.indexOf(before);
    if (at === -1 || patched.indexOf(before, at + 1) !== -1) {
      throw new Error(`${file}: the text to patch was not found exactly once:\n${before}`);
    }
    patched = patched.replace(before, () => after);
  }
  writeFileSync(file, `${MARKER}\n${patched}`);
  return true;
}

const root = postgresRoot();
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (version !== VERSION) {
  process.stderr.write(`patch-postgres: installed postgres is ${version}, the patch is for ${VERSION}: review scripts/patch-postgres.mjs.\n`);
  process.exit(1);
}
let changed = 0;
for (const dir of ['src', 'cjs/src']) {
  if (patchFile(join(root, dir, 'connection.js'), connectionEdits)) changed++;
  if (patchFile(join(root, dir, 'index.js'), indexEdits)) changed++;
}
process.stdout.write(`patch-postgres: ${changed ? `patched ${changed} files of` : 'already patched:'} postgres ${version}\n`);
