import type { CallToolResult } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { auditRows, firstText, ledgerRows, mcpClient, postToolCall, publish } from './gateway-setup';
import { startPlainUpstream, type Upstream } from './upstreams';

const REDIS = 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 1_500;

const tools = [
  { name: 'count', description: 'Counts calls.', inputSchema: { type: 'object', properties: {} } },
  { name: 'slow', description: 'Answers after ten seconds.', inputSchema: { type: 'object', properties: {} } },
  { name: 'wait', description: 'Answers once the test releases it.', inputSchema: { type: 'object', properties: {} } },
];
/** Releases the pending `wait` call. */
let release: () => void = () => {};
const answer = (value: Record<string, unknown>): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value });

let one: TestPact;
let two: TestPact;
let upstream: Upstream;
let gone: Upstream;
let shifting: Upstream;
let shiftingId: string;
let admin: string;
/** The tool `shifting` lists; a test changes its description upstream. */
const report = { name: 'report', description: 'Reports, first version.', inputSchema: { type: 'object', properties: {} } };

beforeAll(async () => {
  const upstreams = { allowPrivate: true, timeoutMs: TIMEOUT_MS };
  one = await startTestPact({ redisUrl: REDIS, upstreams });
  two = await startTestPact({ redisUrl: REDIS, upstreams, database: { database: one.database, masterKey: one.masterKey, seed: one.seed } });
  upstream = await startPlainUpstream({
    tools,
    call: async (name) => {
      if (name === 'slow') await new Promise((resolve) => setTimeout(resolve, 10_000));
      if (name === 'wait') await new Promise<void>((resolve) => (release = resolve));
      return answer({ ok: true });
    },
  });
  gone = await startPlainUpstream({ tools });
  admin = await one.signIn('admin@pact.demo');
  const everyone = ['owner', 'admin', 'manager', 'member'];
  await publish(one, admin, { slug: 'limited', url: upstream.url }, [
    { tool: 'count', enabled: true, allowedRoles: everyone, rateLimitPerMin: 3, estCostCents: 0.2 },
    { tool: 'slow', enabled: true, allowedRoles: everyone, estCostCents: 0.2 },
    { tool: 'wait', enabled: true, allowedRoles: everyone, estCostCents: 0.2 },
  ]);
  await publish(one, admin, { slug: 'gone', url: gone.url }, [{ tool: 'count', enabled: true, allowedRoles: everyone, estCostCents: 0.2 }]);
  await gone.close();
  shifting = await startPlainUpstream({ tools: [report], call: () => answer({ report: report.description }) });
  shiftingId = (await publish(one, admin, { slug: 'shifting', url: shifting.url }, [{ tool: 'report', enabled: true, allowedRoles: everyone }])).serverId;
});
afterAll(async () => {
  await two.close();
  await one.close();
  await upstream.close();
  await shifting.close();
});

const countCalls = () => upstream.calls.filter((c) => c.name === 'count').length;

describe('the per-tool rate limit', () => {
  it('holds across two instances sharing Redis: the fourth call in a minute is HTTP 429 with Retry-After, the upstream not called', async () => {
    const adminOnTwo = await two.signIn('admin@pact.demo');
    const statuses: number[] = [];
    for (const [pact, token] of [[one, admin], [two, adminOnTwo], [one, admin]] as const) {
      const res = await postToolCall(pact, token, 'limited__count', {});
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await postToolCall(two, adminOnTwo, 'limited__count', {});
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await limited.json()) as { error: { data: { code: string; scope: string; limit: number } } };
    expect(body.error.data).toMatchObject({ code: 'RATE_LIMITED', scope: 'federated:limited__count', limit: 3 });
    expect(countCalls()).toBe(3);
    expect((await auditRows(one, 'limited__count')).map((r) => [r.outcome, r.cost])).toEqual([
      ['ok', 200_000],
      ['ok', 200_000],
      ['ok', 200_000],
      ['rate_limited', 0],
    ]);
    expect(await ledgerRows(one, 'limited__count')).toEqual([200_000, 200_000, 200_000]);
  });
});

describe('the upstream call', () => {
  it('holds no transaction: reads on the same (one-connection) database are served while the upstream works', async () => {
    const pending = postToolCall(one, admin, 'limited__wait', {});
    while (!upstream.calls.some((c) => c.name === 'wait')) await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 3; i++) {
      const read = await two.gql<{ contacts: { returned: number } }>('{ contacts(first: 2) { returned } }', {}, { token: admin });
      expect(read.body.data?.contacts.returned).toBe(2);
    }
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { structuredContent: unknown } };
    expect(body.result.structuredContent).toEqual({ ok: true, cost_cents: 0.2 });
    expect(await auditRows(one, 'limited__wait')).toEqual([{ path: 'mcp', outcome: 'ok', error_code: null, cost: 200_000 }]);
  });
});

describe('upstream failures', () => {
  it('answers a time-out as a clear tool error, audited and not charged', async () => {
    const client = await mcpClient(one, admin);
    const started = Date.now();
    const result = await client.callTool({ name: 'limited__slow', arguments: {} });
    await client.close();
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(result.isError).toBe(true);
    expect(firstText(result)).toMatch(/^UPSTREAM_TIMEOUT: The MCP server at 127\.0\.0\.1:\d+ did not answer within 1500 ms\.$/);
    expect(await auditRows(one, 'limited__slow')).toEqual([{ path: 'mcp', outcome: 'error', error_code: 'UPSTREAM_TIMEOUT', cost: 0 }]);
    expect(await ledgerRows(one, 'limited__slow')).toEqual([]);
  });

  it('answers an unreachable upstream as a clear tool error, audited and not charged', async () => {
    const client = await mcpClient(one, admin);
    const result = await client.callTool({ name: 'gone__count', arguments: {} });
    await client.close();
    expect(result.isError).toBe(true);
    expect(firstText(result)).toMatch(/^UPSTREAM_UNREACHABLE: The MCP server at 127\.0\.0\.1:\d+ /);
    expect(await auditRows(one, 'gone__count')).toEqual([{ path: 'mcp', outcome: 'error', error_code: 'UPSTREAM_UNREACHABLE', cost: 0 }]);
    expect(await ledgerRows(one, 'gone__count')).toEqual([]);
  });
});

describe('every instance reads the tools from the database', () => {
  const federatedNames = async (pact: TestPact, token: string) => {
    const client = await mcpClient(pact, token);
    const listed = (await client.listTools()).tools.filter((t) => t.name.startsWith('shifting__'));
    await client.close();
    return listed.map((t) => `${t.name}: ${t.description ?? ''}`);
  };
  const mutate = async (query: string, variables: Record<string, unknown>) => {
    const res = await one.gql(query, variables, { token: admin });
    expect(res.body.errors).toBeUndefined();
  };

  it('a changed definition disappears on both until approved; a deleted server at once', async () => {
    const adminOnTwo = await two.signIn('admin@pact.demo');
    expect(await federatedNames(two, adminOnTwo)).toEqual(['shifting__report: Reports, first version.']);

    report.description = 'Reports, second version.';
    await mutate('mutation($id: ID!) { discoverMcpServer(id: $id) { changed } }', { id: shiftingId });
    for (const [pact, token] of [[one, admin], [two, adminOnTwo]] as const) {
      expect(await federatedNames(pact, token)).toEqual([]);
      const client = await mcpClient(pact, token);
      await expect(client.callTool({ name: 'shifting__report', arguments: {} })).rejects.toThrow(/Unknown tool: shifting__report/);
      await client.close();
    }
    expect(shifting.calls).toEqual([]);

    await mutate('mutation($id: ID!) { approveMcpTool(serverId: $id, tool: "report") { callable } }', { id: shiftingId });
    expect(await federatedNames(two, adminOnTwo)).toEqual(['shifting__report: Reports, second version.']);
    const client = await mcpClient(two, adminOnTwo);
    expect((await client.callTool({ name: 'shifting__report', arguments: {} })).structuredContent).toEqual({ report: 'Reports, second version.', cost_cents: 0 });
    await client.close();

    await mutate('mutation($id: ID!) { deleteMcpServer(id: $id) }', { id: shiftingId });
    expect(await federatedNames(two, adminOnTwo)).toEqual([]);
    const after = await mcpClient(two, adminOnTwo);
    await expect(after.callTool({ name: 'shifting__report', arguments: {} })).rejects.toThrow(/Unknown tool: shifting__report/);
    await after.close();
    expect(shifting.calls).toHaveLength(1);
    expect((await auditRows(one, 'shifting__report')).map((r) => [r.outcome, r.error_code])).toEqual([
      ['error', 'NOT_FOUND'],
      ['error', 'NOT_FOUND'],
      ['ok', null],
      ['error', 'NOT_FOUND'],
    ]);
  });
});
