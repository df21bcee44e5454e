import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

const MODERN = '2026-07-28';
const SERVED = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26'];
const NINE = ['ask_workspace', 'fire_agent', 'get_metric_explanation', 'list_agents', 'query_accounts', 'query_contacts', 'query_deals', 'query_pipeline_health', 'read_briefing'];
const READ_ALL = ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows'];

let pact: TestPact;
let full: string;

beforeAll(async () => {
  pact = await startTestPact();
  full = await pact.mintKey(await pact.signIn('admin@pact.demo'), READ_ALL);
});
afterAll(() => pact.close());

interface Seen {
  status: number;
  headers: Headers;
  text: string;
}

/** A fetch that keeps every answer (status, headers, body) the client got. */
function recording() {
  const seen: Seen[] = [];
  const fetchFn = async (url: string | URL, init?: RequestInit) => {
    const res = await fetch(url, init);
    seen.push({ status: res.status, headers: res.headers, text: await res.clone().text() });
    return res;
  };
  return { seen, fetch: fetchFn, last: () => seen[seen.length - 1] as Seen };
}

type AnyClient = {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<{ isError?: boolean; structuredContent?: unknown; content?: unknown }>;
  close(): Promise<void>;
};

interface Connected {
  client: AnyClient;
  log: ReturnType<typeof recording>;
}

/** The official v2 client, speaking 2026-07-28 (server/discover, no initialize). */
async function modern(token: string, server = pact): Promise<Connected> {
  const log = recording();
  const client = new ModernClient({ name: 'v2-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new ModernTransport(new URL(`${server.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${token}` } }, fetch: log.fetch }));
  return { client: client as unknown as AnyClient, log };
}

/** The official v1 client, speaking 2025-11-25 (initialize first). */
async function legacy(token: string, server = pact): Promise<Connected> {
  const log = recording();
  const client = new LegacyClient({ name: 'v1-test', version: '1.0.0' });
  await client.connect(new LegacyTransport(new URL(`${server.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${token}` } }, fetch: log.fetch }));
  return { client: client as unknown as AnyClient, log };
}

const CLIENTS = [
  ['v2 client (2026-07-28)', modern],
  ['v1 client (2025-11-25)', legacy],
] as const;

const counts = async (server = pact) =>
  (
    await server.sql<{ audit: number; ledger: number }>(
      sql`select (select count(*)::int from audit_log where path = 'mcp') as audit, (select count(*)::int from usage_ledger where path = 'mcp') as ledger`,
    )
  )[0] ?? { audit: -1, ledger: -1 };

const lastAudit = async (server = pact) =>
  (
    await server.sql<{ operation: string; outcome: string; error_code: string | null; cost: number }>(
      sql`select operation, outcome, error_code, cost_microcents::int as cost from audit_log where path = 'mcp' order by at desc, seq desc limit 1`,
    )
  )[0];

const PERIODS = { from: '2026-07-01', to: '2026-12-31', compare_from: '2026-01-01', compare_to: '2026-06-30' };
const CALLS: [string, Record<string, unknown>][] = [
  ['query_accounts', { first: 3 }],
  ['query_contacts', { first: 3 }],
  ['query_deals', { stage: 'PROPOSAL', first: 3 }],
  ['query_pipeline_health', {}],
  ['list_agents', {}],
  ['ask_workspace', { question: 'Which deals are in negotiation?' }],
  ['get_metric_explanation', { kpi: 'WEIGHTED_PIPELINE', ...PERIODS }],
  ['read_briefing', { as_of: '2026-06-15' }],
  ['fire_agent', { agent: 'deal-risk' }],
];

/** A run's own id and time differ between two runs; everything else must not. */
const stable = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'run_id' || k === 'generated_at' ? '<varies>' : v)));

describe('both revisions on one endpoint, over the official clients', () => {
  it('lists the nine tools, in the same name order, on both', async () => {
    for (const path of ['/mcp/', '/mcp']) {
      const v2 = new ModernClient({ name: 'v2-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
      await v2.connect(new ModernTransport(new URL(`${pact.url}${path}`), { requestInit: { headers: { authorization: `Bearer ${full}` } } }));
      expect((await v2.listTools()).tools.map((t) => t.name), path).toEqual(NINE);
      await v2.close();
    }
    const v1 = await legacy(full);
    const v2 = await modern(full);
    const [a, b] = [await v1.client.listTools(), await v2.client.listTools()];
    expect(a.tools.map((t) => t.name)).toEqual(NINE);
    expect(b.tools).toEqual(a.tools);
    await Promise.all([v1.client.close(), v2.client.close()]);
  });

  it.each(CALLS)('calls %s on both with the same result, one audit row and one ledger row each', async (name, args) => {
    const v1 = await legacy(full);
    const v2 = await modern(full);
    const results: unknown[] = [];
    const rows: unknown[] = [];
    for (const { client } of [v1, v2]) {
      const before = await counts();
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(await counts()).toEqual({ audit: before.audit + 1, ledger: before.ledger + 1 });
      const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
      expect(JSON.parse(text)).toEqual(result.structuredContent);
      results.push(stable(result.structuredContent));
      rows.push(await lastAudit());
    }
    expect(results[1]).toEqual(results[0]);
    expect(rows[1]).toEqual(rows[0]);
    expect(rows[0]).toMatchObject({ operation: name, outcome: 'ok', error_code: null });
    await Promise.all([v1.client.close(), v2.client.close()]);
  });
});

describe('refusals, the same on both revisions', () => {
  it.each(CLIENTS)('%s: an unknown key gets 401 with the resource metadata hint', async (_, connect) => {
    const log = recording();
    const attempt =
      connect === modern
        ? new ModernClient({ name: 'v2-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } }).connect(
            new ModernTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: 'Bearer pact_live_unknown' } }, fetch: log.fetch }),
          )
        : new LegacyClient({ name: 'v1-test', version: '1.0.0' }).connect(
            new LegacyTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: 'Bearer pact_live_unknown' } }, fetch: log.fetch }),
          );
    await expect(attempt).rejects.toThrow();
    const answer = log.seen.find((s) => s.status === 401);
    expect(answer?.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer resource_metadata="${pact.url}/\\.well-known/oauth-protected-resource/mcp/", scope="`));
    expect(answer?.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it.each(CLIENTS)('%s: a key without read:contacts gets 403 naming it, audited denied, nothing charged', async (_, connect) => {
    const narrow = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:deals']);
    const { client, log } = await connect(narrow);
    const before = await counts();
    await expect(client.callTool({ name: 'query_contacts', arguments: {} })).rejects.toThrow();
    expect(log.last().status).toBe(403);
    expect((JSON.parse(log.last().text) as { error: { code: number; data: { scope: string } } }).error).toMatchObject({ code: -32003, data: { scope: 'read:contacts' } });
    expect(await counts()).toEqual({ audit: before.audit + 1, ledger: before.ledger });
    expect(await lastAudit()).toMatchObject({ operation: 'query_contacts', outcome: 'denied', error_code: 'FORBIDDEN' });
    await client.close();
  });

  it.each(CLIENTS)('%s: fire_agent for an agent needing a scope the key lacks gets 403 naming that scope', async (_, connect) => {
    const workflows = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:workflows']);
    const { client, log } = await connect(workflows);
    await expect(client.callTool({ name: 'fire_agent', arguments: { agent: 'contact-summary', target_id: '00000000-0000-0000-0000-000000000000' } })).rejects.toThrow();
    expect(log.last().status).toBe(403);
    expect((JSON.parse(log.last().text) as { error: { data: { scope: string } } }).error.data.scope).toBe('read:contacts');
    await client.close();
  });

  it('a spent tenant limit gets 429 with Retry-After on both, audited rate_limited', async () => {
    const limited = await startTestPact({ limits: { tenantPerMin: 4 } });
    try {
      const token = await limited.mintKey(await limited.signIn('admin@pact.demo'), READ_ALL);
      const v1 = await legacy(token, limited);
      const v2 = await modern(token, limited);
      const statuses: number[] = [];
      for (let i = 0; i < 6 && !statuses.includes(429); i += 1) {
        await v1.client.callTool({ name: 'query_deals', arguments: { first: 1 } }).catch(() => undefined);
        statuses.push(v1.log.last().status);
      }
      expect(statuses.at(-1)).toBe(429);
      for (const { client, log } of [v1, v2]) {
        const before = await counts(limited);
        await expect(client.callTool({ name: 'query_deals', arguments: { first: 1 } })).rejects.toThrow();
        expect(log.last().status).toBe(429);
        const retry = Number(log.last().headers.get('retry-after'));
        expect(retry).toBeGreaterThanOrEqual(1);
        expect((JSON.parse(log.last().text) as { error: { code: number; data: Record<string, unknown> } }).error).toMatchObject({
          code: -32029,
          data: { code: 'RATE_LIMITED', retry_after_s: retry },
        });
        expect(await counts(limited)).toEqual({ audit: before.audit + 1, ledger: before.ledger });
        expect(await lastAudit(limited)).toMatchObject({ operation: 'query_deals', outcome: 'rate_limited' });
      }
      await Promise.all([v1.client.close(), v2.client.close()]);
    } finally {
      await limited.close();
    }
  });
});

type RpcAnswer = {
  jsonrpc: string;
  id: unknown;
  result?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  error?: { code: number; message: string; data?: Record<string, unknown> };
};

const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };

/**
 * A raw 2026-07-28 request with the headers a conforming client sends; `headers` overrides them
 * (null removes one).
 */
async function raw(id: number, method: string, params: Record<string, unknown> = {}, headers: Record<string, string | null> = {}, meta: Record<string, unknown> = META) {
  const sent: Record<string, string | null> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${full}`,
    'mcp-protocol-version': String(meta['io.modelcontextprotocol/protocolVersion']),
    'mcp-method': method,
    ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    ...headers,
  };
  const res = await fetch(`${pact.url}/mcp/`, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(sent).filter((e): e is [string, string] => e[1] !== null)),
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as RpcAnswer };
}

const malformedRows = async (code: string) => (await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where path = 'mcp' and error_code = ${code}`))[0]?.n ?? 0;

describe('2026-07-28 rules, probed by hand', () => {
  it('server/discover names the served revision, the tools capability and the server, cacheable', async () => {
    const { status, body } = await raw(1, 'server/discover');
    expect(status).toBe(200);
    expect(body.result).toEqual({
      resultType: 'complete',
      supportedVersions: [MODERN],
      capabilities: { tools: {} },
      ttlMs: 3_600_000,
      cacheScope: 'public',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'pact', version: '0.1.0' } },
    });
  });

  it('tools/list: resultType complete, serverInfo, private cache hint, the same name order every time', async () => {
    const first = await raw(2, 'tools/list');
    const second = await raw(3, 'tools/list');
    expect(first.body.result).toMatchObject({ resultType: 'complete', ttlMs: 60_000, cacheScope: 'private', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'pact' } } });
    const names = (first.body.result?.tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(NINE);
    expect(second.body.result?.tools).toEqual(first.body.result?.tools);
  });

  it('tools/call: resultType complete and serverInfo in _meta; no session id issued, one sent is ignored', async () => {
    const call = await raw(4, 'tools/call', { name: 'query_deals', arguments: { first: 1 } }, { 'mcp-session-id': 'not-a-session' });
    expect(call.status).toBe(200);
    expect(call.body.result).toMatchObject({ resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'pact', version: '0.1.0' } } });
    expect(call.headers.get('mcp-session-id')).toBeNull();
    const init = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('mcp-session-id')).toBeNull();
  });

  it.each([
    ['Mcp-Name naming another tool', { 'mcp-name': 'query_deals' }],
    ['no Mcp-Name', { 'mcp-name': null }],
    ['Mcp-Name with a broken Base64 value', { 'mcp-name': '=?base64?***?=' }],
    ['Mcp-Method naming another method', { 'mcp-method': 'tools/list' }],
    ['no Mcp-Method', { 'mcp-method': null }],
    ['no MCP-Protocol-Version', { 'mcp-protocol-version': null }],
  ])('refuses a tools/call with %s: 400 HeaderMismatch -32020, audited, not admitted or charged', async (_, headers) => {
    const before = [await counts(), await malformedRows('HEADER_MISMATCH')] as const;
    const { status, body } = await raw(6, 'tools/call', { name: 'query_contacts', arguments: {} }, headers);
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: 6, error: { code: -32020 } });
    expect(await malformedRows('HEADER_MISMATCH')).toBe(before[1] + 1);
    expect(await counts()).toEqual({ audit: before[0].audit + 1, ledger: before[0].ledger });
  });

  it('accepts Mcp-Name in the Base64 sentinel form when it decodes to the body name', async () => {
    const encoded = `=?base64?${Buffer.from('query_deals').toString('base64')}?=`;
    const { status, body } = await raw(7, 'tools/call', { name: 'query_deals', arguments: { first: 1 } }, { 'mcp-name': encoded });
    expect(status).toBe(200);
    expect(body.result?.isError).toBeUndefined();
  });

  it('answers an unsupported revision with 400 UnsupportedProtocolVersion -32022 listing the served ones, in either era', async () => {
    const future = await raw(8, 'tools/list', {}, {}, { ...META, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' });
    expect(future.status).toBe(400);
    expect(future.body).toMatchObject({ id: 8, error: { code: -32022, data: { supported: SERVED, requested: '2027-01-01' } } });
    for (const version of ['1999-01-01', '2024-11-05']) {
      const old = await fetch(`${pact.url}/mcp/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}`, 'mcp-protocol-version': version },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(old.status, version).toBe(400);
      expect(await old.json()).toMatchObject({ id: 9, error: { code: -32022, data: { supported: SERVED, requested: version } } });
    }
  });

  it('answers a method it does not serve with 404 and -32601, and a notification with 202', async () => {
    const unknown = await raw(11, 'resources/list');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ id: 11, error: { code: -32601 } });
    const note = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}`, 'mcp-protocol-version': MODERN },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: META } }),
    });
    expect(note.status).toBe(202);
    expect(await note.text()).toBe('');
  });

  it('masks an unexpected error inside a tool call on both revisions, with the request id', async () => {
    await pact.sql(sql.raw('alter table usage_ledger rename to usage_ledger_moved'));
    try {
      const modernAnswer = await raw(12, 'tools/call', { name: 'query_deals', arguments: { first: 1 } });
      const legacyRes = await fetch(`${pact.url}/mcp/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}`, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/call', params: { name: 'query_deals', arguments: { first: 1 } } }),
      });
      const legacyAnswer = { status: legacyRes.status, headers: legacyRes.headers, body: (await legacyRes.json()) as RpcAnswer };
      for (const answer of [modernAnswer, legacyAnswer]) {
        const requestId = answer.headers.get('x-request-id');
        expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
        expect(answer.body).toEqual({ jsonrpc: '2.0', id: 12, error: { code: -32603, message: 'Unexpected error.', data: { code: 'INTERNAL_SERVER_ERROR', requestId } } });
      }
    } finally {
      await pact.sql(sql.raw('alter table usage_ledger_moved rename to usage_ledger'));
    }
  });

  it('streams the answer when the client lists text/event-stream first', async () => {
    const res = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/json', authorization: `Bearer ${full}`, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'tools/list', params: { _meta: META } }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = JSON.parse(/^data: (.*)$/m.exec(await res.text())?.[1] ?? '{}') as RpcAnswer;
    expect(data.result?.tools).toHaveLength(9);
  });

  it.each(['2025-11-25', '2025-06-18', '2025-03-26'])('serves a legacy client that initializes with %s on that revision', async (version) => {
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${pact.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}`, ...extra },
        body: JSON.stringify(body),
      });
    const init = (await (await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })).json()) as RpcAnswer;
    expect(init.result).toMatchObject({ protocolVersion: version, serverInfo: { name: 'pact' }, capabilities: { tools: {} } });
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, version === '2025-03-26' ? {} : { 'mcp-protocol-version': version });
    expect(list.status).toBe(200);
    const answer = (await list.json()) as RpcAnswer;
    expect((answer.result?.tools as unknown[]).length).toBe(9);
    expect(answer.result?.resultType).toBeUndefined();
  });

  it('answers an initialize offering a revision it does not serve with 2025-11-25', async () => {
    const res = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${full}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(((await res.json()) as RpcAnswer).result?.protocolVersion).toBe('2025-11-25');
  });
});
