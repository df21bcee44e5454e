import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
beforeAll(async () => {
  pact = await startTestPact({ limits: { tenantPerMin: 6, operationPerMin: 100 } });
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts']);
});
afterAll(() => pact.close());

describe('requests that never execute count against the tenant rate limit', () => {
  it('refuses validation and parse failures with 429 RATE_LIMITED once the tenant is over, each audited once', async () => {
    // Minting the key was the tenant's first call of the minute.
    const [before] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where tenant_id = ${pact.seed.demoTenantId}`);
    const statuses: number[] = [];
    const codes: unknown[] = [];
    for (let i = 0; i < 8; i += 1) {
      const res = await pact.gql(i % 2 === 0 ? '{ nope }' : '{ accounts(', {}, { token: key, headers: { accept: 'application/graphql-response+json' } });
      statuses.push(res.status);
      codes.push(res.body.errors?.[0]?.extensions?.code);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
    expect(codes.slice(0, 5)).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
    expect(codes.slice(5)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const rows = await pact.sql<{ outcome: string; error_code: string }>(
      sql`select outcome, error_code from audit_log where tenant_id = ${pact.seed.demoTenantId} order by seq offset ${before?.n ?? 0}`,
    );
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r.outcome === 'rate_limited' && r.error_code === 'RATE_LIMITED')).toHaveLength(3);
    // A valid query is refused too: the tenant's minute is spent.
    expect((await pact.gql('{ viewer { role } }', {}, { token: key })).status).toBe(429);
  });
});
