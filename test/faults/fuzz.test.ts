import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzAt, runFuzz, type FuzzCredentials } from '../helpers/fuzz';
import { startTestPact, type TestPact } from '../helpers/pact';

/** Rerun a failure with FUZZ_SEED=<seed> (and FUZZ_INDEX=<n> for just that request). */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
/** Heap growth allowed over the whole run, after a full GC (MB). */
const HEAP_BOUND_MB = 64;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const spaces = () => getHeapSpaceStatistics().map((s) => `${s.space_name} ${Math.round(s.space_used_size / 2 ** 20)} MB`).join(', ');

let pact: TestPact;
let creds: FuzzCredentials;
beforeAll(async () => {
  pact = await startTestPact({ limits: { tenantPerMin: 1_000_000, operationPerMin: 1_000_000 } });
  const session = await pact.signIn('admin@pact.demo');
  const key = await pact.mintKey(session, ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'write:crm', 'write:consent']);
  creds = { key, session };
});
afterAll(() => pact.close());

describe(`fuzz (seed ${SEED})`, () => {
  it(`answers ${COUNT} malformed requests to /graphql, /mcp, /oauth/* and /auth/* with no 5xx, no leaked internals and bounded memory`, async () => {
    const only = process.env.FUZZ_INDEX;
    const indexes = only ? [Number(only)] : Array.from({ length: COUNT }, (_, i) => i);
    // Warm up (module loading, caches) before the baseline.
    await runFuzz(pact.url, indexes.slice(0, 100).map((i) => fuzzAt(SEED + 1, i, creds)));
    const before = heapMb();
    const failures = await runFuzz(pact.url, indexes.map((i) => () => fuzzAt(SEED, i, creds)), 8);
    const growth = heapMb() - before;
    if (failures.length > 0) console.error(`fuzz seed ${SEED}: ${failures.length} of ${indexes.length} failed (rerun with FUZZ_SEED=${SEED} FUZZ_INDEX=<n>):\n${failures.slice(0, 30).join('\n')}`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(growth, `heap grew ${growth.toFixed(1)} MB (${spaces()})`).toBeLessThan(HEAP_BOUND_MB);
  }, 600_000);
});
