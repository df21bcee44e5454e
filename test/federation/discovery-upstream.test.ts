import { createPactServer, GOVERNANCE_META_KEY, InMemoryConsentStore, z } from '@pact/mcp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPactError } from '../../src/lib/errors';
import { callUpstreamTool, listUpstreamTools, type UpstreamPolicy, type UpstreamTarget } from '../../src/services/federation/upstream';
import { startLegacyUpstream, startNonMcpEndpoint, startPactUpstream, startPlainUpstream, startSseUpstream, type PlainTool, type Upstream } from './upstreams';

const DEV: UpstreamPolicy = { allowPrivate: true, timeoutMs: 5000 };
const SECRET = 'upstream-secret-7f3a';

const author = createPactServer('orders', { consentStore: new InMemoryConsentStore({}) })
  .tool(
    'lookup_orders',
    { title: 'Look up orders', description: 'Orders of a customer.', costCents: 0.5, rateLimitPerMin: 30, consentSubject: 'email', schema: z.object({ email: z.string().email() }), annotations: { readOnlyHint: true } },
    ({ email }) => ({ email, orders: 2 }),
  )
  .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => ({ pong: true }));

const tools = (n: number): PlainTool[] =>
  Array.from({ length: n }, (_, i) => ({ name: `tool_${String(i).padStart(2, '0')}`, description: `Tool ${i}.`, inputSchema: { type: 'object', properties: { q: { type: 'string' } } } }));

let pactUp: Upstream;
let plain: Upstream;
let legacy: Upstream;
let sse: Upstream;
beforeAll(async () => {
  const require = { header: 'authorization', value: `Bearer ${SECRET}` };
  [pactUp, plain, legacy, sse] = await Promise.all([
    startPactUpstream(author, { require }),
    startPlainUpstream({ tools: tools(7), pageSize: 3, require }),
    startLegacyUpstream({ tools: tools(4), pageSize: 3 }),
    startSseUpstream({ tools: tools(5), pageSize: 2 }),
  ]);
});
afterAll(() => Promise.all([pactUp, plain, legacy, sse].map((u) => u.close())));

const target = (upstream: Upstream, transport: UpstreamTarget['transport'] = 'streamable_http', headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }): UpstreamTarget => ({
  endpointUrl: upstream.url,
  transport,
  headers,
});

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isPactError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('did not fail');
}

describe('the upstream client', () => {
  it('lists an author-SDK server over 2026-07-28 with its governance _meta, sending the credential on every request', async () => {
    const before = pactUp.requests.length;
    const listed = await listUpstreamTools(target(pactUp), DEV);
    expect(listed.protocolVersion).toBe('2026-07-28');
    expect(listed.tools.map((t) => t.name)).toEqual(['lookup_orders', 'ping']);
    const lookup = listed.tools[0];
    expect(lookup).toMatchObject({ title: 'Look up orders', description: 'Orders of a customer.', annotations: { readOnlyHint: true } });
    expect(lookup?._meta?.[GOVERNANCE_META_KEY]).toEqual({ cost_cents: 0.5, rate_limit_per_min: 30, consent_subject: 'email' });
    const sent = pactUp.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
    const result = await callUpstreamTool(target(pactUp), DEV, 'lookup_orders', { email: 'a@example.com' });
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent).toMatchObject({ email: 'a@example.com', orders: 2 });
  });

  it('follows every page of a plain-SDK server, and a v1 server negotiates 2025-11-25', async () => {
    const before = plain.requests.length;
    const listed = await listUpstreamTools(target(plain), DEV);
    expect(listed.protocolVersion).toBe('2026-07-28');
    expect(listed.tools.map((t) => t.name)).toEqual(tools(7).map((t) => t.name));
    expect(plain.requests.slice(before).filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(3);
    const old = await listUpstreamTools(target(legacy, 'streamable_http', {}), DEV);
    expect(old.protocolVersion).toBe('2025-11-25');
    expect(old.tools).toHaveLength(4);
    expect(await callUpstreamTool(target(legacy, 'streamable_http', {}), DEV, 'tool_01', { q: 'x' })).toMatchObject({ structuredContent: { name: 'tool_01', args: { q: 'x' } } });
  });

  it('speaks the legacy SSE transport, pages included', async () => {
    const listed = await listUpstreamTools(target(sse, 'sse', { 'x-upstream-key': SECRET }), DEV);
    expect(listed.tools.map((t) => t.name)).toEqual(tools(5).map((t) => t.name));
    expect(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']).toContain(listed.protocolVersion);
    expect(sse.requests.some((r) => r.method === 'GET' && r.headers['x-upstream-key'] === SECRET)).toBe(true);
    expect(sse.requests.some((r) => r.method === 'POST' && r.headers['x-upstream-key'] === SECRET)).toBe(true);
    const result = await callUpstreamTool(target(sse, 'sse', {}), DEV, 'tool_03', { q: 'y' });
    expect(result.structuredContent).toEqual({ name: 'tool_03', args: { q: 'y' } });
  });

  it('answers a wrong credential, a non-MCP page, a closed port and a silent server with stable codes', async () => {
    expect(await failure(listUpstreamTools(target(plain, 'streamable_http', { authorization: 'Bearer wrong' }), DEV))).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', message: expect.stringContaining('HTTP 401') });
    const html = await startNonMcpEndpoint();
    const missing = await startNonMcpEndpoint({ status: 404 });
    const silent = await startNonMcpEndpoint({ hang: true });
    try {
      expect(await failure(listUpstreamTools(target(html), DEV))).toMatchObject({ code: 'UPSTREAM_NOT_MCP' });
      expect(await failure(listUpstreamTools(target(missing), DEV))).toMatchObject({ code: 'UPSTREAM_NOT_MCP', message: expect.stringContaining('HTTP 404') });
      const started = Date.now();
      expect(await failure(listUpstreamTools(target(silent), { ...DEV, timeoutMs: 400 }))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: expect.stringContaining('400 ms') });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await Promise.all([html.close(), missing.close(), silent.close()]);
    }
    const closed = await startNonMcpEndpoint();
    await closed.close();
    expect(await failure(listUpstreamTools(target(closed), DEV))).toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
  });

  it("answers the upstream's tool errors as isError results: its own, and a JSON-RPC error such as an unknown tool", async () => {
    const failing = await startPlainUpstream({ tools: tools(1), call: () => ({ content: [{ type: 'text', text: 'quota exhausted' }], isError: true }) });
    try {
      expect(await callUpstreamTool(target(failing, 'streamable_http', {}), DEV, 'tool_00', {})).toMatchObject({ content: [{ type: 'text', text: 'quota exhausted' }], isError: true });
    } finally {
      await failing.close();
    }
    const unknown = await callUpstreamTool(target(pactUp), DEV, 'no_such_tool', {});
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toContain('no_such_tool');
  });

  it('refuses a loopback endpoint without the development allowance, before any request', async () => {
    const before = plain.requests.length;
    const refused = await failure(listUpstreamTools(target(plain), { allowPrivate: false, timeoutMs: 2000 }));
    expect(refused.code).toBe('UPSTREAM_BLOCKED_ADDRESS');
    expect(refused.message).toContain('loopback');
    expect(plain.requests.length).toBe(before);
  });
});
