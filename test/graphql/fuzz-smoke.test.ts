import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzAt, runFuzz, type FuzzCredentials } from '../helpers/fuzz';
import { startTestPact, type TestPact } from '../helpers/pact';

/** A fixed seed: the same 300 requests every run (the full suite, test/faults/fuzz.test.ts, draws a new seed each run). */
const SEED = 20_261_205;

let pact: TestPact;
let creds: FuzzCredentials;
beforeAll(async () => {
  pact = await startTestPact({ limits: { tenantPerMin: 1_000_000, operationPerMin: 1_000_000 } });
  const session = await pact.signIn('admin@pact.demo');
  creds = { session, key: await pact.mintKey(session, ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'write:crm', 'write:consent']) };
});
afterAll(() => pact.close());

describe('fuzz smoke', () => {
  it('answers 300 malformed requests to /graphql, /mcp, /oauth/* and /auth/* without a 5xx or leaked internals', async () => {
    const failures = await runFuzz(pact.url, Array.from({ length: 300 }, (_, i) => () => fuzzAt(SEED, i, creds)));
    expect(failures).toEqual([]);
  }, 120_000);
});
