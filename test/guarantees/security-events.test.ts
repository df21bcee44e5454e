import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ADDRESSES_PER_MINUTE } from '../../src/services/security-events';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
beforeAll(async () => {
  pact = await startTestPact({ trustProxy: true });
});
afterAll(() => pact.close());

const events = async (path: string) =>
  (
    await pact.sql<{ rows: number; total: number }>(
      sql`select count(*)::int as rows, coalesce(sum(count), 0)::int as total from security_events where kind = 'unauthenticated' and path = ${path}`,
    )
  )[0] ?? { rows: 0, total: 0 };

/** Sends `n` requests, `concurrency` at a time. */
async function flood(n: number, request: (i: number) => Promise<Response>, concurrency = 8) {
  let next = 0;
  const statuses = new Set<number>();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const res = await request(next++);
        statuses.add(res.status);
        await res.arrayBuffer();
      }
    }),
  );
  return statuses;
}

describe('security events from unauthenticated junk', () => {
  it('1,000 refusals from one address write one row per minute with the count', async () => {
    const statuses = await flood(1000, () =>
      fetch(`${pact.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer pact_live_junk', 'x-forwarded-for': '203.0.113.7' },
        body: '{"query":"{ viewer { role } }"}',
      }),
    );
    expect([...statuses]).toEqual([401]);
    const { rows, total } = await events('graphql');
    expect(total).toBe(1000);
    // One row per minute bucket: two if the flood straddled a minute boundary.
    expect(rows).toBeLessThanOrEqual(2);
    const [row] = await pact.sql<{ ip: string; path: string; count: number }>(
      sql`select ip, path, count from security_events where kind = 'unauthenticated' order by count desc limit 1`,
    );
    expect(row).toMatchObject({ ip: '203.0.113.7', path: 'graphql' });
  }, 180_000);

  it('without PACT_TRUST_PROXY the socket address is recorded, not a forged X-Forwarded-For', async () => {
    const direct = await startTestPact({ database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed } });
    try {
      const res = await fetch(`${direct.url}/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.99' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-123' }),
      });
      expect(res.status).toBe(401);
      const rows = await pact.sql<{ ip: string | null }>(sql`select ip from security_events where kind = 'sign_in_failed' and path = 'auth'`);
      expect(rows.map((r) => r.ip)).toEqual(['127.0.0.1']);
    } finally {
      await direct.close();
    }
  }, 60_000);

  it('forged X-Forwarded-For addresses cannot multiply rows past the per-minute address cap', async () => {
    const n = MAX_ADDRESSES_PER_MINUTE + 50;
    const statuses = await flood(n, (i) =>
      fetch(`${pact.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer pact_live_junk', 'x-forwarded-for': `198.51.100.${i}` },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      }),
    );
    expect([...statuses]).toEqual([401]);
    const { rows, total } = await events('mcp');
    expect(total).toBe(n);
    // Per minute: at most MAX_ADDRESSES_PER_MINUTE addresses of their own (shared with the test above) and one overflow row.
    expect(rows).toBeLessThanOrEqual(2 * (MAX_ADDRESSES_PER_MINUTE + 1));
    const [overflow] = await pact.sql<{ n: number }>(sql`select coalesce(sum(count), 0)::int as n from security_events where path = 'mcp' and ip is null`);
    expect(overflow?.n).toBeGreaterThan(0);
  }, 180_000);
});
