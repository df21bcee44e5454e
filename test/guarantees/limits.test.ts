import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedOperations } from '../../src/graphql/persisted';
import { createLogger } from '../../src/lib/logger';
import { mcpTools } from '../../src/mcp/generated/tools';
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
    pact = await startTestPact({ limits: { tenantPerMin: 1000, operationPerMin: 3, fieldPerMin: { accounts: 3 } } });
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

  it("takes a root field's limit from the override, else its @rateLimit, else the default", async () => {
    // deals declares @rateLimit(perMin: 60): the default of 3 does not apply to it.
    for (let i = 0; i < 4; i += 1) expect((await pact.gql('{ deals(first: 1) { returned } }', {}, { token: key })).status).toBe(200);
    // viewer declares none: the default of 3 does.
    for (let i = 0; i < 3; i += 1) expect((await pact.gql('{ viewer { role } }', {}, { token: key })).status).toBe(200);
    const limited = await pact.gql('{ viewer { role } }', {}, { token: key });
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 3, scope: 'operation:viewer' });
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

describe('one limit per operation on every path (/graphql and MCP)', () => {
  let pact: TestPact;
  let key: string;
  const manifest = persistedOperations();
  const toolNamed = (name: string) => {
    const tool = mcpTools.find((t) => t.name === name);
    if (!tool) throw new Error(`no tool ${name}`);
    return { ...tool, document: manifest[tool.hash] ?? '' };
  };
  /** The tool's persisted operation, sent to /graphql as its text. */
  const overGraphql = (tool: { document: string }, variables: Record<string, unknown>) => pact.gql(tool.document, variables, { token: key });
  const overMcp = (name: string, args: Record<string, unknown>) =>
    fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: args } }),
    });

  beforeAll(async () => {
    // The shipped limits: 600 per root field by default, which fields with @rateLimit do not use.
    pact = await startTestPact();
    key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:contacts', 'read:deals']);
  });
  afterAll(() => pact.close());

  it("spends query_contacts' limit on /graphql, then MCP answers 429 RATE_LIMITED with Retry-After under the same key", async () => {
    const tool = toolNamed('query_contacts');
    expect([tool.rootField, tool.rateLimitPerMin]).toEqual(['contacts', 60]);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i += 1) statuses.push((await overGraphql(tool, { first: 1 })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);

    const refused = await overMcp('query_contacts', { first: 1 });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as { id: unknown; error: { code: number; data: Record<string, unknown> } };
    expect(body.id).toBe(9);
    expect(body.error.code).toBe(-32029);
    expect(body.error.data).toEqual({ code: 'RATE_LIMITED', retry_after_s: retryAfter, limit: 60, window_s: 60, scope: 'operation:contacts' });
    const [row] = await pact.sql<{ outcome: string; operation: string; cost: number }>(
      sql`select outcome, operation, cost_microcents::int as cost from audit_log where path = 'mcp' order by at desc, seq desc limit 1`,
    );
    expect(row).toEqual({ outcome: 'rate_limited', operation: 'query_contacts', cost: 0 });
    expect((await overGraphql(tool, { first: 1 })).status).toBe(429);
  });

  it("spends query_deals' limit over MCP (the SDK client), then /graphql answers 429 RATE_LIMITED for the same operation", async () => {
    const tool = toolNamed('query_deals');
    expect([tool.rootField, tool.rateLimitPerMin]).toEqual(['deals', 60]);
    const client = new Client({ name: 'pact-limits-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    try {
      let answered = 0;
      for (let i = 0; i < 60; i += 1) {
        const result = await client.callTool({ name: 'query_deals', arguments: { first: 1 } });
        if (!result.isError && (result.structuredContent as { returned?: number } | undefined)?.returned === 1) answered += 1;
      }
      expect(answered).toBe(60);
    } finally {
      await client.close();
    }

    const refused = await overGraphql(tool, { first: 1 });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retry_after_s: retryAfter, limit: 60, window_s: 60, scope: 'operation:deals' });
    expect((await overMcp('query_deals', { first: 1 })).status).toBe(429);
    // The key is the root field, not the operation or tool name: another operation on deals shares it.
    expect((await pact.gql('query Other { deals(first: 2) { returned } }', {}, { token: key })).status).toBe(429);
  });
});
