import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPolicy } from '../../src/pipeline/http-guards';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { persistedText, startTestPact, type TestPact } from '../helpers/pact';
import { ConsoleViewerDocument } from '../../src/generated/graphql/graphql';

const INSPECTOR = 'http://inspector.test:6274';

let pact: TestPact;
let key: string;
let port: string;

beforeAll(async () => {
  pact = await startTestPact({ allowedOrigins: [INSPECTOR] });
  port = new URL(pact.url).port;
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows']);
});
afterAll(() => pact.close());

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw HTTP/1.1 request with any `Host` (fetch always sends the URL's). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${pact.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST to /mcp/ with its body in one piece (Content-Length), or written in two chunks (Transfer-Encoding: chunked). */
function send(headers: Record<string, string>, body: string, chunked: boolean): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${pact.url}/mcp/`, { method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (!chunked) return void req.end(body);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    req.end(body.slice(half));
  });
}

const LIST = { jsonrpc: '2.0', id: 'list-1', method: 'tools/list' };
const mcpHeaders = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${key}`,
  ...extra,
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${pact.url}/mcp/`, { method: 'POST', headers: mcpHeaders(headers), body: typeof body === 'string' ? body : JSON.stringify(body) });

type RpcAnswer = { jsonrpc: string; id: unknown; error?: { code: number; message: string; data?: Record<string, unknown> }; result?: unknown };

const events = async (kind: string, path: string) =>
  (await pact.sql<{ n: number }>(sql`select coalesce(sum(count), 0)::int as n from security_events where kind = ${kind} and path = ${path}`))[0]?.n ?? 0;

/** Audit rows of refused malformed MCP messages with `code`. */
const malformedRows = async (code: string) =>
  (await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where path = 'mcp' and error_code = ${code}`))[0]?.n ?? 0;

describe('Host validation (DNS rebinding)', () => {
  it('refuses a foreign Host on /mcp with 403, a JSON-RPC error echoing the id, and a foreign_host security event', async () => {
    const before = await events('foreign_host', 'mcp');
    const res = await raw('POST', '/mcp/', { ...mcpHeaders(), host: 'evil.example' }, JSON.stringify(LIST));
    expect(res.status).toBe(403);
    const body = JSON.parse(res.text) as RpcAnswer;
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 'list-1', error: { code: -32000, data: { reason: 'FOREIGN_HOST' } } });
    expect(body.error?.message).toMatch(/evil\.example/);
    expect(await events('foreign_host', 'mcp')).toBe(before + 1);
    const [row] = await pact.sql<{ detail: { host: string } }>(sql`select detail from security_events where kind = 'foreign_host' order by at desc limit 1`);
    expect(row?.detail.host).toBe('evil.example');
  });

  it('refuses a foreign Host on /graphql with 403 and a security event', async () => {
    const before = await events('foreign_host', 'graphql');
    const res = await raw('POST', '/graphql', { host: `evil.example:${port}`, 'content-type': 'application/json', authorization: `Bearer ${key}` }, '{"query":"{ __typename }"}');
    expect(res.status).toBe(403);
    expect((JSON.parse(res.text) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('FORBIDDEN');
    expect(await events('foreign_host', 'graphql')).toBe(before + 1);
  });

  it('accepts localhost, 127.0.0.1 and [::1] on the port when PUBLIC_URL says 127.0.0.1 and the server listens on loopback', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const res = await raw('POST', '/mcp/', { ...mcpHeaders(), host }, JSON.stringify(LIST));
      expect(res.status, host).toBe(200);
    }
    const wrongPort = await raw('POST', '/mcp/', { ...mcpHeaders(), host: 'localhost:1' }, JSON.stringify(LIST));
    expect(wrongPort.status).toBe(403);
  });

  it('derives the allow-lists from PUBLIC_URL and the listening address', () => {
    const proxied = httpPolicy('https://pact.example.com', { host: '0.0.0.0', port: 4000 }, ['https://app.example.com/']);
    expect([...proxied.hosts].sort()).toEqual(['pact.example.com', 'pact.example.com:443']);
    expect([...proxied.origins].sort()).toEqual(['https://app.example.com', 'https://pact.example.com']);
    const local = httpPolicy('https://pact.example.com', { host: '127.0.0.1', port: 4000 });
    expect(local.hosts.has('localhost:4000') && local.hosts.has('[::1]:4000') && local.hosts.has('127.0.0.1:4000')).toBe(true);
    expect(local.origins.has('http://localhost:4000')).toBe(true);
  });
});

describe('browser credentials and CORS on /mcp', () => {
  it('ignores the console session cookie: a request with only the cookie gets 401 with the challenge', async () => {
    const signIn = await fetch(`${pact.url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@pact.demo', password: DEMO_PASSWORD }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^pact_session=pact_sess_/);
    const console = await pact.gql(persistedText(ConsoleViewerDocument), {}, { cookie });
    expect(console.status).toBe(200);
    const res = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', cookie },
      body: JSON.stringify(LIST),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')?.startsWith(`Bearer resource_metadata="${pact.url}/.well-known/oauth-protected-resource/mcp/", scope="`)).toBe(true);
    expect(res.headers.get('www-authenticate')).not.toMatch(/error=/);
    expect(((await res.json()) as RpcAnswer).id).toBe('list-1');
  });

  it('answers a preflight from an allowed origin (PACT_ALLOWED_ORIGINS, or this server under any loopback name) with 204 and the CORS headers', async () => {
    for (const origin of [INSPECTOR, pact.url, `http://localhost:${port}`, `http://[::1]:${port}`]) {
      const res = await fetch(`${pact.url}/mcp/`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version' },
      });
      expect(res.status, origin).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET, DELETE, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID, X-Tenant-ID, Mcp-Method, Mcp-Name',
      );
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
    const local = await post(LIST, { origin: `http://localhost:${port}` });
    expect(local.status).toBe(200);
  });

  it('gives a foreign origin no CORS headers: its preflight and its POST get 403', async () => {
    const before = await events('foreign_origin', 'mcp');
    const pre = await fetch(`${pact.url}/mcp/`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
    const res = await post(LIST, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await res.json()) as RpcAnswer).id).toBe('list-1');
    expect(await events('foreign_origin', 'mcp')).toBe(before + 2);
  });

  it('adds Access-Control-Allow-Origin, Vary and the exposed headers to answers for an allowed origin, errors included', async () => {
    const ok = await post(LIST, { origin: INSPECTOR });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const denied = await post(LIST, { origin: INSPECTOR, authorization: 'Bearer pact_live_unknown' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    expect(denied.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate, Mcp-Session-Id, Retry-After, X-Request-Id');
    const none = await post(LIST);
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    const call = await post({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'query_deals', arguments: { first: 1 } } }, { origin: INSPECTOR });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    const answer = (await call.json()) as RpcAnswer;
    expect(answer.id).toBe('c1');
    expect((answer.result as { structuredContent: { items: unknown[] } }).structuredContent.items).toHaveLength(1);
  });
});

describe('JSON-RPC answers', () => {
  it('echoes the request id on 401 and 403 refusals', async () => {
    const unauth = await post({ jsonrpc: '2.0', id: 41, method: 'tools/list' }, { authorization: 'Bearer pact_live_unknown' });
    expect(unauth.status).toBe(401);
    expect(((await unauth.json()) as RpcAnswer).id).toBe(41);
    const narrow = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:deals']);
    const scope = await post({ jsonrpc: '2.0', id: 'call-43', method: 'tools/call', params: { name: 'query_contacts', arguments: {} } }, { authorization: `Bearer ${narrow}` });
    expect(scope.status).toBe(403);
    expect(((await scope.json()) as RpcAnswer).id).toBe('call-43');
    const unparseable = await post('{nope', { authorization: 'Bearer pact_live_unknown' });
    expect(((await unparseable.json()) as RpcAnswer).id).toBeNull();
  });

  it.each([
    ['null', 'null', null],
    ['a number', '5', null],
    ['a string', '"tools/list"', null],
    ['no jsonrpc', { id: 1, method: 'tools/list' }, 1],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 2, method: 'tools/list' }, 2],
    ['no method', { jsonrpc: '2.0', id: 3 }, 3],
    ['a non-string method', { jsonrpc: '2.0', id: 4, method: 7 }, 4],
  ])('answers %s with 400 and -32600 Invalid Request, audited', async (_, body, id) => {
    const before = await malformedRows('INVALID_REQUEST');
    const res = await post(body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as RpcAnswer;
    expect(answer.error?.code).toBe(-32600);
    expect(answer.error?.message).toMatch(/^Invalid Request: /);
    expect(answer.id).toBe(id);
    expect(await malformedRows('INVALID_REQUEST')).toBe(before + 1);
  });

  it('audits a body that is not JSON and a batch from an authenticated caller, one row each', async () => {
    const [parse, batch] = [await malformedRows('PARSE_ERROR'), await malformedRows('BATCH_REFUSED')];
    expect((await post('{nope')).status).toBe(400);
    expect((await post([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }])).status).toBe(400);
    expect([await malformedRows('PARSE_ERROR'), await malformedRows('BATCH_REFUSED')]).toEqual([parse + 1, batch + 1]);
  });

  it.each([
    ['params not an object', { jsonrpc: '2.0', id: 10, method: 'tools/call', params: 'query_contacts' }, /"params" must be an object/],
    ['params an array', { jsonrpc: '2.0', id: 11, method: 'tools/list', params: [] }, /"params" must be an object/],
    ['no tool name', { jsonrpc: '2.0', id: 12, method: 'tools/call', params: { arguments: {} } }, /params\.name: expected string/],
    ['a numeric tool name', { jsonrpc: '2.0', id: 13, method: 'tools/call', params: { name: 5 } }, /params\.name: expected string/],
    ['arguments not an object', { jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'query_contacts', arguments: [1] } }, /params\.arguments/],
  ])('answers %s with -32602 Invalid params, readable, echoing the id, and audits it once', async (_, body, message) => {
    const before = await malformedRows('INVALID_PARAMS');
    const res = await post(body);
    const answer = (await res.json()) as RpcAnswer;
    expect(answer.error?.code).toBe(-32602);
    expect(answer.error?.message).toMatch(message);
    expect(answer.error?.message).not.toMatch(/"code":|\[\s*\{/);
    expect(answer.id).toBe(body.id);
    expect(await malformedRows('INVALID_PARAMS')).toBe(before + 1);
    const [row] = await pact.sql<{ operation: string; path: string; outcome: string }>(
      sql`select operation, path, outcome from audit_log where error_code = 'INVALID_PARAMS' order by at desc, seq desc limit 1`,
    );
    expect(row).toEqual({ operation: `malformed:${body.method}`, path: 'mcp', outcome: 'error' });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('answers the method %s with -32601, not a 500', async (method) => {
    const res = await post({ jsonrpc: '2.0', id: 21, method, params: {} });
    expect(res.status).toBeLessThan(500);
    const answer = (await res.json()) as RpcAnswer;
    expect(answer).toMatchObject({ id: 21, error: { code: -32601 } });
  });

  it.each([
    ['a declared length', false],
    ['chunked, no declared length', true],
  ])('refuses a body over 1 MiB sent with %s: 413, audited once; a chunked body within it is served', async (_, chunked) => {
    const before = await malformedRows('BODY_TOO_LARGE');
    const huge = JSON.stringify({ ...LIST, params: { pad: 'x'.repeat(1024 * 1024) } });
    const refused = await send(mcpHeaders(), huge, chunked);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.text)).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await malformedRows('BODY_TOO_LARGE')).toBe(before + 1);
    const served = await send(mcpHeaders({ 'mcp-protocol-version': '2025-11-25' }), JSON.stringify(LIST), chunked);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(served.text)).toMatchObject({ id: 'list-1', result: { tools: expect.any(Array) } });
  });

  it.each([
    ['name and arguments only', { name: 'query_deals', arguments: { first: 2 } }],
    ['no arguments', { name: 'query_deals' }],
    ['a progress token in _meta', { name: 'query_deals', arguments: { first: 2 }, _meta: { progressToken: 'p-1' } }],
  ])('serves a tools/call whose params hold %s, as JSON with structuredContent and its text', async (_, params) => {
    const res = await post({ jsonrpc: '2.0', id: 'call-1', method: 'tools/call', params }, { 'mcp-protocol-version': '2025-11-25' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { result } = (await res.json()) as { result: { structuredContent: { items: unknown[] }; content: { type: string; text: string }[] } };
    expect(result.structuredContent.items.length).toBeGreaterThan(0);
    expect(JSON.parse(result.content[0]?.text ?? '')).toEqual(result.structuredContent);
  });

  it('answers a notification with 202 and no body', async () => {
    const res = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  });
});

/** Audit and ledger rows of the MCP path. */
const charged = async () =>
  (
    await pact.sql<{ audit: number; ledger: number }>(
      sql`select (select count(*)::int from audit_log where path = 'mcp') as audit, (select count(*)::int from usage_ledger where path = 'mcp') as ledger`,
    )
  )[0];

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
/** The headers and body of a tools/call on each revision (2025-11-25, and 2026-07-28 with its `_meta` and headers). */
const revisions = {
  '2025-11-25': (id: number, name: string, args: Record<string, unknown>) => ({
    headers: mcpHeaders({ 'mcp-protocol-version': '2025-11-25' }),
    body: { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
  }),
  '2026-07-28': (id: number, name: string, args: Record<string, unknown>) => ({
    headers: mcpHeaders({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name }),
    body: { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: MODERN_META } },
  }),
};

/** One tools/call: the answer's status, content type and JSON-RPC message (from the body, or an SSE stream's one message). */
async function toolCall(revision: keyof typeof revisions, name: string, args: Record<string, unknown>, headers: Record<string, string> = {}) {
  const sent = revisions[revision](41, name, args);
  const res = await fetch(`${pact.url}/mcp/`, { method: 'POST', headers: { ...sent.headers, ...headers }, body: JSON.stringify(sent.body) });
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  const data = type.startsWith('text/event-stream') ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)) : [text];
  expect(data).toHaveLength(1);
  return { status: res.status, type, message: JSON.parse(data[0] ?? 'null') as RpcAnswer };
}

describe('tool calls answered by the adapter', () => {
  it.each(['2025-11-25', '2026-07-28'] as const)('answers a %s tools/call with JSON exactly as the SDK answers it over SSE, one audit row and one charge each', async (revision) => {
    for (const [name, args] of [
      ['query_deals', { first: 2 }],
      ['query_contacts', { first: 'many' }],
    ] as const) {
      const before = await charged();
      const json = await toolCall(revision, name, args, { accept: 'application/json, text/event-stream' });
      const sse = await toolCall(revision, name, args, { accept: 'text/event-stream, application/json' });
      expect([json.status, json.type, sse.status, sse.type]).toEqual([200, 'application/json', 200, 'text/event-stream']);
      expect(json.message).toEqual(sse.message);
      expect(json.message.id).toBe(41);
      const result = json.message.result as { structuredContent?: Record<string, unknown>; content: { type: string; text: string }[]; isError?: boolean; resultType?: string };
      expect(result.resultType).toBe(revision === '2026-07-28' ? 'complete' : undefined);
      if (name === 'query_deals') {
        expect(result.isError).toBeUndefined();
        expect(result.content).toEqual([{ type: 'text', text: JSON.stringify(result.structuredContent) }]);
        expect((result.structuredContent?.items as unknown[]).length).toBe(2);
      } else {
        expect(result.isError).toBe(true);
        expect(result.content[0]?.text).toMatch(/^Invalid arguments for query_contacts: /);
      }
      const after = await charged();
      expect(after?.audit).toBe((before?.audit ?? 0) + 2);
      expect(after?.ledger).toBe((before?.ledger ?? 0) + (name === 'query_deals' ? 2 : 0));
    }
  });

  it.each([
    ['2025-11-25', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['2026-07-28', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['2025-11-25', { accept: 'application/json' }, 406, 'NOT_ACCEPTABLE'],
  ] as const)('refuses a %s tools/call with %j before running it: %i, the id echoed, audited as malformed, nothing charged', async (revision, headers, status, reason) => {
    const before = [await charged(), await malformedRows(reason)] as const;
    const answer = await toolCall(revision, 'query_deals', { first: 1 }, headers);
    expect(answer.status).toBe(status);
    expect(answer.message).toMatchObject({ id: 41, error: { code: -32000 } });
    expect(await malformedRows(reason)).toBe(before[1] + 1);
    expect(await charged()).toEqual({ audit: (before[0]?.audit ?? 0) + 1, ledger: before[0]?.ledger });
  });
});

describe('over the official SDK client', () => {
  const connect = async () => {
    const client = new Client({ name: 'transport-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    return client;
  };

  it('reads "MCP error -32602" once in an unknown tool error', async () => {
    const client = await connect();
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/^MCP error -32602: Unknown tool: no_such_tool$/);
    const rawAnswer = (await (await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'no_such_tool' } })).json()) as RpcAnswer;
    expect(rawAnswer.error).toEqual({ code: -32602, message: 'Unknown tool: no_such_tool' });
    await client.close();
  });

  it('keeps arguments that fail the input schema an isError result with a readable message', async () => {
    const client = await connect();
    const bad = await client.callTool({ name: 'query_contacts', arguments: { first: 'many' } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]?.text).toMatch(/^Invalid arguments for query_contacts: .*first/);
    await client.close();
  });

  it('annotates read tools readOnlyHint and fire_agent as writing but not destructive, idempotent or open-world', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const fire = tools.find((t) => t.name === 'fire_agent');
    expect(fire?.annotations).toEqual({ title: 'Fire an agent', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false });
    for (const tool of tools.filter((t) => t.name !== 'fire_agent')) {
      expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    }
    await client.close();
  });
});

describe('/graphql 401 challenge (RFC 6750)', () => {
  it('names the resource metadata without a bearer, and adds invalid_token with one', async () => {
    const metadata = `Bearer resource_metadata="${pact.url}/.well-known/oauth-protected-resource/graphql"`;
    const none = await pact.gql('{ __typename }');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(metadata);
    const bad = await pact.gql('{ __typename }', {}, { token: 'pact_live_unknown' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe(`${metadata}, error="invalid_token"`);
    const ok = await pact.gql('{ __typename }', {}, { token: key });
    expect(ok.headers.get('www-authenticate')).toBeNull();
  });
});
