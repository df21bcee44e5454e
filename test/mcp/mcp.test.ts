import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let full: string;
let dealsOnly: string;

beforeAll(async () => {
  pact = await startTestPact();
  const admin = await pact.signIn('admin@pact.demo');
  full = await pact.mintKey(admin, ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows']);
  dealsOnly = await pact.mintKey(admin, ['read:deals']);
});
afterAll(() => pact.close());

async function connect(token: string, path = '/mcp/') {
  const client = new Client({ name: 'pact-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${pact.url}${path}`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${pact.url}/mcp/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const auditCount = async () => (await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log`))[0]?.n ?? 0;

describe('MCP facade over the official SDK client', () => {
  it('initializes on /mcp/ and /mcp, and lists only the tools the key may call', async () => {
    for (const path of ['/mcp/', '/mcp']) {
      const client = await connect(full, path);
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual([
        'ask_workspace',
        'fire_agent',
        'get_metric_explanation',
        'list_agents',
        'query_accounts',
        'query_contacts',
        'query_deals',
        'query_pipeline_health',
        'read_briefing',
      ]);
      await client.close();
    }
    const narrow = await connect(dealsOnly);
    const tools = (await narrow.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(['get_metric_explanation', 'query_deals', 'query_pipeline_health']);
    expect(tools[0]?.annotations?.readOnlyHint).toBe(true);
    await narrow.close();
  });

  it('answers query_contacts in the product shape, with the same records and counts as /graphql, and one mcp audit row', async () => {
    const client = await connect(full);
    const before = await auditCount();
    const result = await client.callTool({ name: 'query_contacts', arguments: { first: 5 } });
    expect(await auditCount()).toBe(before + 1);
    const structured = result.structuredContent as Record<string, unknown> & { items: { id: string }[] };
    expect(Object.keys(structured).sort()).toEqual(['consent_filtered', 'cost_cents', 'items', 'next_cursor', 'note', 'returned']);
    expect(structured.returned).toBe(5);
    expect(structured.cost_cents).toBe(0.1);
    expect(JSON.parse((result.content as { text: string }[])[0]?.text ?? '{}')).toEqual(structured);
    const graphql = await pact.gql<{ contacts: { consentFiltered: number; items: { id: string }[] } }>('{ contacts(first: 5) { consentFiltered items { id } } }', {}, { token: full });
    expect(structured.items.map((i) => i.id)).toEqual(graphql.body.data?.contacts.items.map((i) => i.id));
    expect(structured.consent_filtered).toBe(graphql.body.data?.contacts.consentFiltered);
    expect(structured.note).toBe(`${structured.consent_filtered} record(s) hidden by consent (suppressed/withdrawn subjects).`);
    const [row] = await pact.sql<{ path: string; operation: string; outcome: string; cost: number; result_count: number }>(
      sql`select path, operation, outcome, cost_microcents::int as cost, result_count from audit_log where path = 'mcp' order by at desc limit 1`,
    );
    expect(row).toEqual({ path: 'mcp', operation: 'query_contacts', outcome: 'ok', cost: 100_000, result_count: 5 });
    const [charge] = await pact.sql<{ path: string; operation: string; cost: number }>(
      sql`select path, operation, cost_microcents::int as cost from usage_ledger where path = 'mcp' order by id desc limit 1`,
    );
    expect(charge).toEqual({ path: 'mcp', operation: 'query_contacts', cost: 100_000 });
    await client.close();
  });

  it('answers query_pipeline_health and query_deals', async () => {
    const client = await connect(full);
    const health = (await client.callTool({ name: 'query_pipeline_health', arguments: {} })).structuredContent as Record<string, unknown>;
    expect(health).toMatchObject({ cost_cents: 0.2 });
    expect(typeof health.consent_filtered).toBe('number');
    const deals = (await client.callTool({ name: 'query_deals', arguments: { stage: 'PROPOSAL', first: 3 } })).structuredContent as { items: { stage: string }[] };
    for (const d of deals.items) expect(d.stage).toBe('PROPOSAL');
    await client.close();
  });

  it('refuses bad input with the wire contract answers, writing only the audit row', async () => {
    const client = await connect(full);
    const beforeUnknown = await auditCount();
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/-32602|Unknown tool/);
    expect(await auditCount()).toBe(beforeUnknown + 1);
    const before = await auditCount();
    const bad = await client.callTool({ name: 'query_contacts', arguments: { first: 'many' } });
    expect(bad.isError).toBe(true);
    expect(await auditCount()).toBe(before + 1);
    await client.close();
  });

  it('answers a missing scope with HTTP 403 naming the scope, audited as denied', async () => {
    const before = await auditCount();
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'query_contacts', arguments: {} } }, { authorization: `Bearer ${dealsOnly}` });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { message: string; data: { scope: string } } };
    expect(body.error.data.scope).toBe('read:contacts');
    expect(await auditCount()).toBe(before + 1);
  });

  it.each([
    ['a batch', [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }], {}, 400],
    ['malformed JSON', '{not json', {}, 400],
    ['a bad protocol version', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-protocol-version': '1999-01-01' }, 400],
    ['a foreign Origin', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { origin: 'https://evil.example' }, 403],
    ['a revoked or unknown key', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: 'Bearer pact_live_unknown' }, 401],
  ])('answers %s with its status', async (_, body, headers, status) => {
    const res = await post(body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
  });

  it('answers in SSE when the client prefers it, JSON otherwise', async () => {
    const list = { jsonrpc: '2.0', id: 3, method: 'tools/list' };
    const sse = await post(list, { accept: 'text/event-stream, application/json' });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await sse.text();
    const data = JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? '{}') as { result: { tools: unknown[] } };
    expect(data.result.tools).toHaveLength(9);
    const json = await post(list);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await json.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(9);
  });

  it('answers a notification with 202 and GET/DELETE with 405', async () => {
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${pact.url}/mcp/`, { method, headers: { authorization: `Bearer ${full}`, accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
    }
  });
});

describe('MCP credentials', () => {
  it('accepts a pact_sess_ session token, and refuses a revoked key at once with 401', async () => {
    const session = await pact.signIn('manager@pact.demo');
    const client = await connect(session);
    expect((await client.listTools()).tools).toHaveLength(9);
    await client.close();
    const admin = await pact.signIn('admin@pact.demo');
    const key = await pact.mintKey(admin, ['read:deals']);
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${key}` })).status).toBe(200);
    const [row] = await pact.sql<{ id: string }>(sql`select id from api_keys where prefix = ${key.slice(0, 14)}`);
    await pact.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: row?.id }, { token: admin });
    const events = async () => (await pact.sql<{ n: number }>(sql`select coalesce(sum(count), 0)::int as n from security_events where path = 'mcp'`))[0]?.n ?? 0;
    const before = await events();
    const revoked = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${key}` });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    expect(await events()).toBe(before + 1);
  });
});

describe('trusted documents on /graphql', () => {
  it('an API key restricted to persisted operations runs them by hash or by text, and is refused anything else', async () => {
    const { persistedOperations } = await import('../../src/graphql/persisted');
    const { mcpTools } = await import('../../src/mcp/generated/tools');
    const tool = mcpTools.find((t) => t.name === 'query_accounts');
    const document = persistedOperations()[tool?.hash ?? ''] ?? '';
    const admin = await pact.signIn('admin@pact.demo');
    const minted = await pact.gql<{ createApiKey: { secret: string } }>(
      'mutation { createApiKey(input: { name: "trusted", scopes: ["read:accounts"], trustedDocumentsOnly: true }) { secret } }',
      {},
      { token: admin },
    );
    const token = minted.body.data?.createApiKey.secret ?? '';
    const byText = await pact.gql<{ accounts: { returned: number } }>(document, { first: 2 }, { token });
    expect(byText.body.errors).toBeUndefined();
    expect(byText.body.data?.accounts.returned).toBe(2);
    const byHash = await fetch(`${pact.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ variables: { first: 1 }, extensions: { persistedQuery: { version: 1, sha256Hash: tool?.hash } } }),
    });
    const hashed = (await byHash.json()) as { data?: { accounts: { returned: number } } };
    expect(hashed.data?.accounts.returned).toBe(1);
    const before = await auditCount();
    const adHoc = await pact.gql('{ accounts(first: 50) { items { id name } } }', {}, { token, headers: { accept: 'application/graphql-response+json' } });
    expect(adHoc.status).toBe(400);
    expect(adHoc.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_OPERATIONS_ONLY');
    expect(adHoc.body.data ?? null).toBeNull();
    expect(await auditCount()).toBe(before + 1);
  });
});

describe('rate limits on the MCP path', () => {
  it('answers HTTP 429 with Retry-After and a JSON-RPC RATE_LIMITED error, audited as rate_limited', async () => {
    const limited = await startTestPact({ limits: { tenantPerMin: 1000, operationPerMin: 2 } });
    try {
      const token = await limited.mintKey(await limited.signIn('admin@pact.demo'), ['read:deals']);
      const call = () =>
        fetch(`${limited.url}/mcp/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'query_deals', arguments: { first: 1 } } }),
        });
      // The root field deals declares @rateLimit(perMin: 60), which holds over the default of 2.
      const statuses: number[] = [];
      for (let i = 0; i < 61; i += 1) statuses.push((await call()).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(60);
      const res = await call();
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      const body = (await res.json()) as { id: unknown; error: { data: Record<string, unknown> } };
      expect(body.id).toBe(7);
      expect(body.error.data).toEqual({ code: 'RATE_LIMITED', retry_after_s: retryAfter, limit: 60, window_s: 60, scope: 'operation:deals' });
      const [row] = await limited.sql<{ outcome: string; operation: string }>(sql`select outcome, operation from audit_log where path = 'mcp' order by at desc, seq desc limit 1`);
      expect(row).toEqual({ outcome: 'rate_limited', operation: 'query_deals' });
    } finally {
      await limited.close();
    }
  });
});
