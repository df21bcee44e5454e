import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createPactServer, GOVERNANCE_META_KEY, InMemoryConsentStore, z, type RunningServer } from '@pact/mcp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const consent = new InMemoryConsentStore({ 'withdrawn@example.com': 'withdrawn', 'suppressed@example.com': 'suppressed', 'erased@example.com': 'erased', 'granted@example.com': 'granted' });
const clock = { t: 0 };
const runs: string[] = [];
const server = createPactServer('my-tools', { consentStore: consent, version: '1.2.3', now: () => clock.t })
  .tool(
    'lookup_orders',
    {
      title: 'Look up orders',
      description: 'Orders of a customer, by e-mail.',
      costCents: 0.1,
      consentSubject: 'email',
      rateLimitPerMin: 3,
      schema: z.object({ email: z.string().email(), limit: z.number().int().min(1).max(100).default(10) }),
      annotations: { readOnlyHint: true },
    },
    ({ email, limit }) => (runs.push(email), { email, orders: [{ id: 'o-1' }].slice(0, limit) }),
  )
  .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => ({ pong: true }));

let running: RunningServer;
beforeAll(async () => {
  running = await server.serve({ port: 0 });
});
afterAll(() => running.close());
beforeEach(() => {
  clock.t += 3_600_000; // a fresh window for each test
  runs.length = 0;
});

interface Seen {
  status: number;
  headers: Headers;
  text: string;
}
function recording() {
  const seen: Seen[] = [];
  const fetchFn = async (url: string | URL, init?: RequestInit) => {
    const res = await fetch(url, init);
    seen.push({ status: res.status, headers: res.headers, text: await res.clone().text() });
    return res;
  };
  return { seen, fetch: fetchFn, last: () => seen[seen.length - 1] as Seen };
}

type Result = { isError?: boolean; structuredContent?: Record<string, unknown>; content?: unknown };
interface AnyClient {
  listTools(): Promise<{ tools: { name: string; _meta?: Record<string, unknown>; inputSchema: unknown; annotations?: unknown; title?: string }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<Result>;
  close(): Promise<void>;
}
interface Connected {
  client: AnyClient;
  log: ReturnType<typeof recording>;
}

const CLIENTS: [string, () => Promise<Connected>][] = [
  [
    'v2 client (2026-07-28)',
    async () => {
      const log = recording();
      const client = new ModernClient({ name: 'v2-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await client.connect(new ModernTransport(new URL(running.url), { fetch: log.fetch }));
      return { client: client as unknown as AnyClient, log };
    },
  ],
  [
    'v1 client (2025-11-25)',
    async () => {
      const log = recording();
      const client = new LegacyClient({ name: 'v1-test', version: '1.0.0' });
      await client.connect(new LegacyTransport(new URL(running.url), { fetch: log.fetch }));
      return { client: client as unknown as AnyClient, log };
    },
  ],
];

describe.each(CLIENTS)('over Streamable HTTP with the official %s', (_name, connect) => {
  let c: Connected;
  beforeEach(async () => {
    c = await connect();
    return () => c.client.close();
  });

  it('lists the tools with their governance _meta', async () => {
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['lookup_orders', 'ping']);
    expect(tools[0]).toMatchObject({ title: 'Look up orders', annotations: { readOnlyHint: true }, inputSchema: { type: 'object', required: ['email'] } });
    expect(tools[0]?._meta?.[GOVERNANCE_META_KEY]).toEqual({ cost_cents: 0.1, rate_limit_per_min: 3, consent_subject: 'email' });
    expect(tools[1]?._meta?.[GOVERNANCE_META_KEY]).toEqual({ cost_cents: 0, rate_limit_per_min: null, consent_subject: null });
  });

  it('injects cost_cents into the result; blocked subjects answer data for each blocking status', async () => {
    const ok = await c.client.callTool({ name: 'lookup_orders', arguments: { email: 'granted@example.com' } });
    expect(ok.structuredContent).toEqual({ email: 'granted@example.com', orders: [{ id: 'o-1' }], cost_cents: 0.1 });
    expect(ok.content).toEqual([{ type: 'text', text: JSON.stringify(ok.structuredContent) }]);
    for (const status of ['withdrawn', 'suppressed', 'erased']) {
      clock.t += 60_000;
      const blocked = await c.client.callTool({ name: 'lookup_orders', arguments: { email: `${status}@example.com` } });
      expect(blocked.isError).toBeFalsy();
      expect(blocked.structuredContent).toEqual({ blocked: true, reason: `consent_${status}`, cost_cents: 0 });
      expect(c.log.last().status).toBe(200);
    }
    expect(runs).toEqual(['granted@example.com']);
  });

  it('answers arguments failing the schema with an isError result; an unknown tool with -32602', async () => {
    const bad = await c.client.callTool({ name: 'lookup_orders', arguments: { email: 'nope', limit: 0 } });
    expect(bad.isError).toBe(true);
    expect(bad.content).toEqual([{ type: 'text', text: expect.stringMatching(/^Invalid arguments for lookup_orders: email: Invalid email address; limit: Too small/) }]);
    await expect(c.client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    expect(runs).toEqual([]);
  });

  it('refuses call N+1 in the window with HTTP 429, Retry-After and the RATE_LIMITED error of Pact’s own server; admits again when the oldest call leaves', async () => {
    const call = () => c.client.callTool({ name: 'lookup_orders', arguments: { email: 'granted@example.com' } });
    await call();
    clock.t += 10_000;
    await call();
    clock.t += 10_000;
    await call();
    clock.t += 10_000; // 30 s after the first of three calls
    await expect(call()).rejects.toThrow();
    const refused = c.log.last();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(JSON.parse(refused.text)).toMatchObject({
      jsonrpc: '2.0',
      error: {
        code: -32029,
        message: 'Rate limit exceeded for tool:lookup_orders: 3 calls per 60 s. Retry after 30 s.',
        data: { code: 'RATE_LIMITED', retry_after_s: 30, limit: 3, window_s: 60, scope: 'tool:lookup_orders' },
      },
    });
    clock.t += 29_999;
    await expect(call()).rejects.toThrow();
    expect(c.log.last().headers.get('retry-after')).toBe('1');
    clock.t += 1; // the first call has left the window; the second and third are still in it
    expect((await call()).structuredContent).toMatchObject({ cost_cents: 0.1 });
    await expect(call()).rejects.toThrow();
    expect(JSON.parse(c.log.last().text).error.data.retry_after_s).toBe(10);
    expect(runs).toHaveLength(4);
  });
});

describe('the HTTP endpoint', () => {
  const post = (body: unknown, headers: Record<string, string> = {}, url = running.url) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers },
      body: JSON.stringify(body),
    });

  it('serves /mcp and /mcp/, and nothing else', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    expect((await post(list)).status).toBe(200);
    expect((await post(list, {}, `${running.url}/`)).status).toBe(200);
    expect((await post(list, {}, running.url.replace('/mcp', '/other'))).status).toBe(404);
  });

  it('refuses a foreign browser Origin and a foreign Host (DNS rebinding) with 403; allows a localhost Origin with CORS', async () => {
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    expect((await post(list, { origin: 'https://evil.example' })).status).toBe(403);
    const local = await post(list, { origin: 'http://localhost:6274' });
    expect(local.status).toBe(200);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(running.url, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(list));
    });
    expect(status).toBe(403);
  });

  it('never admits more than N calls in a window, even when they arrive at once', async () => {
    const call = () => post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'lookup_orders', arguments: { email: 'granted@example.com' } } });
    const statuses = (await Promise.all(Array.from({ length: 10 }, call))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
    expect(runs).toHaveLength(3);
  });

  it('refuses a body over the bound with 413 before reading on', async () => {
    const small = await createPactServer('tiny').tool('ping', { description: 'd', costCents: 0, schema: z.object({}) }, () => ({})).serve({ port: 0, maxBodyBytes: 1024 });
    try {
      const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ping', arguments: { pad: 'x'.repeat(2000) } } }, {}, small.url);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: -32600, message: 'Request body too large.' } });
    } finally {
      await small.close();
    }
  });

  it('answers a body that is not JSON with a JSON-RPC parse error, and a batch with a clear refusal (nothing runs)', async () => {
    const res = await fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'lookup_orders', arguments: { email: 'granted@example.com' } } };
    const batch = await post([call, { ...call, id: 2 }]);
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({ error: { code: -32600, message: expect.stringContaining('Batched JSON-RPC requests are not supported') } });
    expect(runs).toEqual([]);
  });

  it('app() is a Fetch handler that answers in process, the same way', async () => {
    const app = server.app();
    const res = await app(
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'ping', arguments: {} } }),
      }),
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    const message = JSON.parse(text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '')) as { result: Result };
    expect(message.result.structuredContent).toEqual({ pong: true, cost_cents: 0 });
  });
});
