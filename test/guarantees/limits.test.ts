import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import { createMemoryWindowStore } from '../../src/services/limits/memory-store';
import type { WindowStore } from '../../src/services/limits/policy';
import { createRedisWindowStore } from '../../src/services/limits/redis-store';
import { startTestPact, type TestPact } from '../helpers/pact';

const REDIS = 'redis://127.0.0.1:6379';
const logger = createLogger({ level: 'silent' });

/** Admits calls at the given times (ms) and returns which were admitted. */
async function drive(store: WindowStore, key: string, limit: number, windowMs: number, times: number[], clock: { t: number }) {
  const admitted: number[] = [];
  for (const t of times) {
    clock.t = t;
    if ((await store.hit(key, limit, windowMs)).allowed) admitted.push(t);
  }
  return admitted;
}

describe('sliding window (in-process)', () => {
  it('never admits more than N in any window, across window boundaries too', async () => {
    const clock = { t: 0 };
    const store = createMemoryWindowStore(() => clock.t);
    // A fixed window would admit 3 at 990–999 and 3 more at 1000–1009: 6 within 20 ms.
    const admitted = await drive(store, 'k', 3, 1000, [990, 995, 999, 1000, 1005, 1009, 1989, 1990, 1996, 2000], clock);
    expect(admitted).toEqual([990, 995, 999, 1990, 1996, 2000]);
  });

  it('holds for random traffic: every window of the window length contains at most N admitted calls', async () => {
    const clock = { t: 0 };
    const store = createMemoryWindowStore(() => clock.t);
    let t = 0;
    const times = Array.from({ length: 2000 }, () => (t += Math.floor(Math.random() * 40)));
    const admitted = await drive(store, 'k', 7, 500, times, clock);
    for (let i = 0; i < admitted.length; i += 1) {
      const inWindow = admitted.filter((x) => x > (admitted[i] ?? 0) - 500 && x <= (admitted[i] ?? 0));
      expect(inWindow.length).toBeLessThanOrEqual(7);
    }
    expect(admitted.length).toBeGreaterThan(7);
  });

  it('says how long to wait', async () => {
    const clock = { t: 10_000 };
    const store = createMemoryWindowStore(() => clock.t);
    await drive(store, 'k', 2, 60_000, [10_000, 25_000], clock);
    clock.t = 30_000;
    expect(await store.hit('k', 2, 60_000)).toEqual({ allowed: false, retryAfterMs: 40_000 });
    expect((await store.hit('other', 2, 60_000)).allowed).toBe(true);
  });
});

describe('sliding window (Redis)', () => {
  it('shares one window between two stores (two instances) and refuses the (N+1)th', async () => {
    const a = createRedisWindowStore({ url: REDIS, logger });
    const b = createRedisWindowStore({ url: REDIS, logger });
    try {
      const key = `test:${randomUUID()}`;
      const results = [];
      for (let i = 0; i < 10; i += 1) results.push((await (i % 2 === 0 ? a : b).hit(key, 4, 60_000)).allowed);
      expect(results.filter(Boolean)).toHaveLength(4);
      expect(results.slice(0, 4)).toEqual([true, true, true, true]);
      const refused = await a.hit(key, 4, 60_000);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(55_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('admits again once the oldest call leaves the window', async () => {
    const store = createRedisWindowStore({ url: REDIS, logger });
    try {
      const key = `test:${randomUUID()}`;
      expect((await store.hit(key, 2, 400)).allowed).toBe(true);
      expect((await store.hit(key, 2, 400)).allowed).toBe(true);
      expect((await store.hit(key, 2, 400)).allowed).toBe(false);
      await new Promise((r) => setTimeout(r, 450));
      expect((await store.hit(key, 2, 400)).allowed).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('falls back to a per-instance window when Redis is unreachable', async () => {
    const store = createRedisWindowStore({ url: 'redis://127.0.0.1:1', logger, timeoutMs: 100 });
    try {
      const results = [];
      for (let i = 0; i < 4; i += 1) results.push((await store.hit('k', 3, 60_000)).allowed);
      expect(results).toEqual([true, true, true, false]);
    } finally {
      await store.close();
    }
  });
});

describe('rate limits on /graphql', () => {
  let pact: TestPact;
  let key: string;
  beforeAll(async () => {
    pact = await startTestPact({ limits: { tenantPerMin: 1000, operationPerMin: 3 } });
    key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:deals']);
  });
  afterAll(() => pact.close());

  it('answers 429 with Retry-After and the RATE_LIMITED error, audited as rate_limited and not charged', async () => {
    for (let i = 0; i < 3; i += 1) expect((await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: key })).status).toBe(200);
    const [ledgerBefore] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from usage_ledger`);
    const limited = await pact.gql('query Renamed { accounts(first: 1) { returned } }', {}, { token: key });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.data ?? null).toBeNull();
    expect(limited.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retry_after_s: retryAfter, limit: 3, window_s: 60, scope: 'operation:accounts' });
    const [row] = await pact.sql<{ outcome: string; error_code: string; cost: number }>(
      sql`select outcome, error_code, cost_microcents::int as cost from audit_log order by at desc, seq desc limit 1`,
    );
    expect(row).toEqual({ outcome: 'rate_limited', error_code: 'RATE_LIMITED', cost: 0 });
    const [ledgerAfter] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from usage_ledger`);
    expect(ledgerAfter?.n).toBe(ledgerBefore?.n);
  });

  it('limits per operation: another root field still passes, and another tenant is unaffected', async () => {
    expect((await pact.gql('{ deals(first: 1) { returned } }', {}, { token: key })).status).toBe(200);
    const globex = await pact.mintKey(await pact.signIn('owner@globex.demo'), ['read:accounts']);
    for (let i = 0; i < 3; i += 1) expect((await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: globex })).status).toBe(200);
  });

  it('holds across two server instances sharing Redis', async () => {
    const shared = await startTestPact({ limits: { tenantPerMin: 5, operationPerMin: 100 }, redisUrl: REDIS });
    const second = await startTestPact({
      limits: { tenantPerMin: 5, operationPerMin: 100 },
      redisUrl: REDIS,
      database: { database: shared.database, masterKey: shared.masterKey, seed: shared.seed },
    });
    try {
      const token = await shared.mintKey(await shared.signIn('admin@pact.demo'), ['read:deals']);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i += 1) statuses.push((await (i % 2 === 0 ? shared : second).gql('{ deals(first: 1) { returned } }', {}, { token })).status);
      // minting the key was one call of the tenant (by the admin's session)
      expect(statuses.filter((s) => s === 200)).toHaveLength(4);
      expect(statuses.slice(4)).toEqual([429, 429, 429, 429]);
      const limited = await second.gql('{ deals(first: 1) { returned } }', {}, { token });
      expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'tenant', limit: 5 });
    } finally {
      await second.close();
      await shared.close();
    }
  });
});
