import { createPactServer, GOVERNANCE_META_KEY, InMemoryConsentStore, z, type ConsentStatus, type StandardSchema } from '@pact/mcp-server';
import { createTestClient, type TestClient } from '@pact/mcp-server/testing';
import { afterEach, describe, expect, it } from 'vitest';

/** The page's example server, with a clock the test moves and a count of handler runs. */
function pageServer(options: { limit?: number } = {}) {
  const consent = new InMemoryConsentStore();
  const clock = { t: 1_000_000 };
  const runs: string[] = [];
  const server = createPactServer('my-tools', { consentStore: consent, now: () => clock.t })
    .tool(
      'lookup_orders',
      {
        description: 'Orders of a customer, by e-mail.',
        costCents: 0.1,
        consentSubject: 'email',
        rateLimitPerMin: options.limit ?? 60,
        schema: z.object({ email: z.string().email(), limit: z.number().int().min(1).max(100).default(10) }),
        annotations: { readOnlyHint: true },
      },
      async ({ email, limit }) => {
        runs.push(email);
        return { email, orders: [{ id: 'o-1', total_cents: 1200 }].slice(0, limit) };
      },
    )
    .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => ({ pong: true }));
  return { server, consent, clock, runs };
}

const clients: TestClient[] = [];
const connect = async (...args: Parameters<typeof createTestClient>) => {
  const client = await createTestClient(...args);
  clients.push(client);
  return client;
};
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe.each([['2026-07-28'], ['legacy']] as const)('in-memory test client (%s)', (protocol) => {
  it('lists each tool with its governance under the vendor _meta key', async () => {
    const { server } = pageServer();
    const client = await connect(server, { protocol });
    const tools = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['lookup_orders', 'ping']);
    expect(tools[0]?._meta?.[GOVERNANCE_META_KEY]).toEqual({ cost_cents: 0.1, rate_limit_per_min: 60, consent_subject: 'email' });
    expect(tools[1]?._meta?.[GOVERNANCE_META_KEY]).toEqual({ cost_cents: 0, rate_limit_per_min: null, consent_subject: null });
    expect(tools[0]?.inputSchema).toMatchObject({ type: 'object', required: ['email'], properties: { email: { type: 'string' }, limit: { type: 'integer', default: 10 } } });
    expect(tools[0]?.annotations).toEqual({ readOnlyHint: true });
  });

  it('injects cost_cents into the structured result and its text block (one serialization)', async () => {
    const { server } = pageServer();
    const client = await connect(server, { protocol });
    const result = await client.callTool('lookup_orders', { email: 'ada@example.com' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ email: 'ada@example.com', orders: [{ id: 'o-1', total_cents: 1200 }], cost_cents: 0.1 });
    expect(result.content).toEqual([{ type: 'text', text: JSON.stringify(result.structuredContent) }]);
    expect((await client.callTool('ping')).structuredContent).toEqual({ pong: true, cost_cents: 0 });
  });
});

describe('consent gate', () => {
  it.each(['withdrawn', 'suppressed', 'erased'] as const)('a %s subject answers {"blocked": true} as data and the handler does not run', async (status) => {
    const { server, consent, runs } = pageServer();
    consent.set('Blocked@Example.com', status);
    const client = await connect(server);
    const result = await client.callTool('lookup_orders', { email: 'blocked@example.com' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ blocked: true, reason: `consent_${status}`, cost_cents: 0 });
    expect(JSON.parse((result.content as { text: string }[])[0]?.text ?? '')).toEqual(result.structuredContent);
    expect(runs).toEqual([]);
  });

  it.each(['granted', 'unknown'] as ConsentStatus[])('a %s subject runs the handler', async (status) => {
    const { server, consent, runs } = pageServer();
    consent.set('ok@example.com', status);
    const client = await connect(server);
    const result = await client.callTool('lookup_orders', { email: 'ok@example.com' });
    expect(result.structuredContent).toMatchObject({ email: 'ok@example.com', cost_cents: 0.1 });
    expect(runs).toEqual(['ok@example.com']);
  });

  it('reads the store on every call: a withdrawal takes effect at once', async () => {
    const { server, consent } = pageServer();
    const client = await connect(server);
    expect((await client.callTool('lookup_orders', { email: 'ada@example.com' })).structuredContent).not.toHaveProperty('blocked');
    consent.withdraw('ada@example.com');
    expect((await client.callTool('lookup_orders', { email: 'ada@example.com' })).structuredContent).toMatchObject({ blocked: true, reason: 'consent_withdrawn' });
  });

  it('fails closed when the store cannot answer', async () => {
    const runs: string[] = [];
    const server = createPactServer('x', { consentStore: { check: () => Promise.reject(new Error('store down')) } }).tool(
      'lookup',
      { description: 'd', costCents: 1, consentSubject: 'email', schema: z.object({ email: z.string() }) },
      ({ email }) => (runs.push(email), { email }),
    );
    const client = await connect(server);
    const result = await client.callTool('lookup', { email: 'a@example.com' });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: 'text', text: 'Consent check failed, so lookup did not run: store down' }]);
    expect(runs).toEqual([]);
  });
});

describe('schema errors and unknown tools', () => {
  it('arguments failing the schema are an isError result with the messages; the handler does not run', async () => {
    const { server, runs } = pageServer();
    const client = await connect(server);
    const result = await client.callTool('lookup_orders', { email: 'not-an-email', limit: 500 });
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    expect(text).toMatch(/^Invalid arguments for lookup_orders: /);
    expect(text).toContain('email: Invalid email address');
    expect(text).toMatch(/limit: Too big/);
    expect(await client.callTool('lookup_orders', {})).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('email:') }] });
    expect(runs).toEqual([]);
  });

  it('an unknown tool is JSON-RPC -32602', async () => {
    const { server } = pageServer();
    const client = await connect(server);
    await expect(client.callTool('no_such_tool', {})).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Unknown tool: no_such_tool') });
  });

  it('a bad registration throws at once, naming the tool and the field', () => {
    const base = { description: 'd', costCents: 1, schema: z.object({ email: z.string() }) };
    const make = () => createPactServer('x', { consentStore: new InMemoryConsentStore() });
    expect(() => make().tool('bad.name', base, () => ({}))).toThrow(/bad\.name/);
    expect(() => make().tool('t', { ...base, costCents: -1 }, () => ({}))).toThrow(/costCents/);
    expect(() => make().tool('t', { ...base, rateLimitPerMin: 0 }, () => ({}))).toThrow(/rateLimitPerMin/);
    expect(() => make().tool('t', { ...base, consentSubject: 'mail' }, () => ({}))).toThrow(/consentSubject "mail" is not one of its arguments \(email\)/);
    expect(() => createPactServer('x').tool('t', { ...base, consentSubject: 'email' }, () => ({}))).toThrow(/no consentStore/);
    expect(() => make().tool('t', base, () => ({})).tool('t', base, () => ({}))).toThrow(/already registered/);
  });
});

describe('sliding window', () => {
  it('limit N admits N calls in a minute, refuses the next with the retry hint, and admits again when the oldest call leaves the window', async () => {
    const { server, clock, runs } = pageServer({ limit: 3 });
    const client = await connect(server);
    const call = () => client.callTool('lookup_orders', { email: 'ada@example.com' });
    await call(); // t = 0
    clock.t += 20_000;
    await call(); // t = 20 s
    clock.t += 20_000;
    await call(); // t = 40 s
    clock.t += 5_000; // t = 45 s: three calls in the last minute
    await expect(call()).rejects.toMatchObject({
      code: -32029,
      message: 'Rate limit exceeded for tool:lookup_orders: 3 calls per 60 s. Retry after 15 s.',
      data: { code: 'RATE_LIMITED', retry_after_s: 15, limit: 3, window_s: 60, scope: 'tool:lookup_orders' },
    });
    // A fixed window would reset at t = 60 s; the sliding one still holds the calls at 20 s and 40 s, and the refusal did not count.
    clock.t += 15_000; // t = 60 s: the call at 0 s has left the window
    await call();
    await expect(call()).rejects.toMatchObject({ code: -32029, data: { retry_after_s: 20 } });
    clock.t += 19_999;
    await expect(call()).rejects.toMatchObject({ code: -32029, data: { retry_after_s: 1 } });
    clock.t += 1; // t = 80 s
    await call();
    expect(runs).toHaveLength(5);
  });

  it('each tool has its own window; a tool without rateLimitPerMin is unlimited', async () => {
    const { server } = pageServer({ limit: 1 });
    const client = await connect(server);
    await client.callTool('lookup_orders', { email: 'a@example.com' });
    await expect(client.callTool('lookup_orders', { email: 'a@example.com' })).rejects.toMatchObject({ code: -32029 });
    for (let i = 0; i < 100; i += 1) expect((await client.callTool('ping')).isError).toBeFalsy();
  });

  it('invalid arguments are not counted', async () => {
    const { server } = pageServer({ limit: 1 });
    const client = await connect(server);
    for (let i = 0; i < 3; i += 1) expect((await client.callTool('lookup_orders', { email: 'x' })).isError).toBe(true);
    expect((await client.callTool('lookup_orders', { email: 'a@example.com' })).structuredContent).toMatchObject({ cost_cents: 0.1 });
  });
});

describe('handlers and schemas', () => {
  it('passes the consent status to the handler; a thrown error is an isError result; a non-object result is wrapped', async () => {
    const seen: unknown[] = [];
    const server = createPactServer('x', { consentStore: new InMemoryConsentStore().grant('a@example.com') })
      .tool('who', { description: 'd', costCents: 0.5, consentSubject: 'email', schema: z.object({ email: z.string() }) }, (_args, extra) => {
        seen.push([extra.tool, extra.consentStatus, extra.signal instanceof AbortSignal]);
        return { ok: true };
      })
      .tool('fails', { description: 'd', costCents: 1, schema: z.object({}) }, () => {
        throw new Error('upstream said no');
      })
      .tool('count', { description: 'd', costCents: 2, schema: z.object({}) }, () => [1, 2, 3] as unknown as object);
    const client = await connect(server);
    expect((await client.callTool('who', { email: 'a@example.com' })).structuredContent).toEqual({ ok: true, cost_cents: 0.5 });
    expect((await client.callTool('who', { email: 'b@example.com' })).structuredContent).toEqual({ ok: true, cost_cents: 0.5 });
    expect(seen).toEqual([
      ['who', 'granted', true],
      ['who', 'unknown', true],
    ]);
    expect(await client.callTool('fails')).toMatchObject({ isError: true, content: [{ type: 'text', text: 'upstream said no' }] });
    expect((await client.callTool('count')).structuredContent).toEqual({ result: [1, 2, 3], cost_cents: 2 });
  });

  it('accepts any Standard Schema: without a JSON Schema of its own the tool lists a plain object', async () => {
    const schema: StandardSchema<{ n: number }> = {
      '~standard': {
        version: 1,
        vendor: 'hand-made',
        validate: (value: unknown) =>
          typeof (value as { n?: unknown }).n === 'number' ? { value: value as { n: number } } : { issues: [{ message: 'n must be a number', path: ['n'] }] },
      },
    };
    const server = createPactServer('x').tool('double', { description: 'd', costCents: 0, schema }, ({ n }) => ({ doubled: n * 2 }));
    const client = await connect(server);
    expect((await client.listTools())[0]?.inputSchema).toEqual({ type: 'object' });
    expect((await client.callTool('double', { n: 4 })).structuredContent).toEqual({ doubled: 8, cost_cents: 0 });
    expect(await client.callTool('double', { n: 'four' })).toMatchObject({ isError: true, content: [{ text: 'Invalid arguments for double: n: n must be a number' }] });
  });
});
