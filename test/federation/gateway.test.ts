import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { createPactServer, InMemoryConsentStore, z } from '@pact/mcp-server';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { browserAuthorize, pkce, REDIRECT_URI } from '../helpers/oauth';
import { startTestPact, type TestPact } from '../helpers/pact';
import { auditRows, firstText, ledgerRows, mcpClient, postToolCall, publish } from './gateway-setup';
import { startPactUpstream, type Upstream } from './upstreams';

const SECRET = 'upstream-secret-7f3a9c';
/** What each upstream tool ran, by tool. */
const ran: Record<string, unknown[]> = { lookup_orders: [], ping: [], echo: [] };

const author = createPactServer('my-tools', { consentStore: new InMemoryConsentStore() })
  .tool(
    'lookup_orders',
    {
      title: 'Look up orders',
      description: 'Orders of a customer, by e-mail.',
      costCents: 0.1,
      consentSubject: 'email',
      schema: z.object({ email: z.string(), limit: z.number().int().min(1).max(100).default(10) }),
      annotations: { readOnlyHint: true },
    },
    ({ email, limit }) => (ran.lookup_orders?.push(email), { email, orders: [{ id: 'o-1', total: 120 }].slice(0, limit) }),
  )
  .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => (ran.ping?.push(true), { pong: true }))
  .tool('echo', { description: 'Echoes its text.', costCents: 0, schema: z.object({ text: z.string() }) }, ({ text }) => (ran.echo?.push(text), { text }));

let pact: TestPact;
let upstream: Upstream;
let admin: string;
let member: string;
let manager: string;
let callerKey: string;
let readOnlyKey: string;

beforeAll(async () => {
  pact = await startTestPact({ upstreams: { allowPrivate: true, timeoutMs: 5_000 } });
  upstream = await startPactUpstream(author, { require: { header: 'authorization', value: `Bearer ${SECRET}` } });
  admin = await pact.signIn('admin@pact.demo');
  member = await pact.signIn('member@pact.demo');
  manager = await pact.signIn('manager@pact.demo');
  callerKey = await pact.mintKey(admin, ['call:federated']);
  readOnlyKey = await pact.mintKey(admin, ['read:contacts']);
  await publish(pact, admin, { slug: 'tools', url: upstream.url, secret: SECRET }, [
    { tool: 'lookup_orders', enabled: true, allowedRoles: ['owner', 'admin', 'manager'], estCostCents: 0.25, piiPolicy: 'ALLOW' },
    { tool: 'ping', enabled: true, allowedRoles: ['owner', 'admin', 'manager', 'member', 'api'], estCostCents: 0.5, costCapCents: 1.25 },
  ]);
});
afterAll(async () => {
  await pact.close();
  await upstream.close();
});

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

describe('tools/list', () => {
  it('appends the callable federated tools each caller may use after the first-party tools', async () => {
    const asAdmin = await mcpClient(pact, admin);
    const listed = (await asAdmin.listTools()).tools;
    expect(listed.map((t) => t.name).slice(-2)).toEqual(['tools__lookup_orders', 'tools__ping']);
    expect(listed.map((t) => t.name)).not.toContain('tools__echo');
    const lookup = listed.find((t) => t.name === 'tools__lookup_orders');
    expect(lookup).toMatchObject({ title: 'Look up orders', description: 'Orders of a customer, by e-mail.', annotations: { readOnlyHint: true } });
    expect(Object.keys((lookup?.inputSchema as { properties: object }).properties).sort()).toEqual(['email', 'limit']);
    await asAdmin.close();

    const asMember = await mcpClient(pact, member);
    expect((await names(asMember)).filter((n) => n.includes('__'))).toEqual(['tools__ping']);
    await asMember.close();
    const asManager = await mcpClient(pact, manager);
    expect((await names(asManager)).filter((n) => n.includes('__'))).toEqual(['tools__lookup_orders', 'tools__ping']);
    await asManager.close();
  });

  it('shows API keys only the tools whose allowed roles list `api`, and none without call:federated', async () => {
    const key = await mcpClient(pact, callerKey);
    expect(await names(key)).toEqual(['tools__ping']);
    await key.close();
    const readOnly = await mcpClient(pact, readOnlyKey);
    expect((await names(readOnly)).some((n) => n.includes('__'))).toBe(false);
    await readOnly.close();
  });
});

describe('tools/call refusals', () => {
  it('refuses a disabled tool as an unknown tool, audited under its federated name, without calling the upstream', async () => {
    const client = await mcpClient(pact, admin);
    await expect(client.callTool({ name: 'tools__echo', arguments: { text: 'hi' } })).rejects.toThrow(/Unknown tool: tools__echo/);
    await client.close();
    expect(ran.echo).toEqual([]);
    expect(await auditRows(pact, 'tools__echo')).toEqual([{ path: 'mcp', outcome: 'error', error_code: 'NOT_FOUND', cost: 0 }]);
  });

  it('refuses a role not in allowed_roles with a clear tool error, audited as denied', async () => {
    const client = await mcpClient(pact, member);
    const result = await client.callTool({ name: 'tools__lookup_orders', arguments: { email: 'someone@example.com' } });
    await client.close();
    expect(result.isError).toBe(true);
    expect(firstText(result)).toBe('FORBIDDEN: Calling tools__lookup_orders needs role owner, admin or manager; you are member.');
    expect(ran.lookup_orders).toEqual([]);
    expect(await auditRows(pact, 'tools__lookup_orders')).toEqual([{ path: 'mcp', outcome: 'denied', error_code: 'FORBIDDEN', cost: 0 }]);
  });

  it('answers a caller without call:federated with HTTP 403 naming the scope', async () => {
    const res = await postToolCall(pact, readOnlyKey, 'tools__ping', {});
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { data: { scope: string } } }).error.data.scope).toBe('call:federated');
    expect(ran.ping).toEqual([]);
    expect(await auditRows(pact, 'tools__ping')).toEqual([{ path: 'mcp', outcome: 'denied', error_code: 'FORBIDDEN', cost: 0 }]);
  });

  it('answers arguments that fail the input schema as a tool error before the upstream', async () => {
    const client = await mcpClient(pact, admin);
    const result = await client.callTool({ name: 'tools__lookup_orders', arguments: { email: 'a@b.example', limit: 'many' } });
    const noSubject = await client.callTool({ name: 'tools__lookup_orders', arguments: {} });
    await client.close();
    expect(result.isError).toBe(true);
    expect(firstText(result)).toBe('BAD_USER_INPUT: Invalid arguments for tools__lookup_orders: data/limit must be integer');
    expect(firstText(noSubject)).toBe("BAD_USER_INPUT: Invalid arguments for tools__lookup_orders: data must have required property 'email'");
    expect(ran.lookup_orders).toEqual([]);
    expect((await auditRows(pact, 'tools__lookup_orders')).slice(-2)).toEqual([
      { path: 'mcp', outcome: 'error', error_code: 'INVALID_ARGUMENTS', cost: 0 },
      { path: 'mcp', outcome: 'error', error_code: 'INVALID_ARGUMENTS', cost: 0 },
    ]);
  });
});

describe('a governed call', () => {
  it('reaches the upstream with the sealed secret only, never the caller credential', async () => {
    const before = upstream.requests.length;
    for (const token of [admin, callerKey]) {
      const client = await mcpClient(pact, token);
      const result = await client.callTool({ name: 'tools__ping', arguments: {} });
      await client.close();
      expect(result.structuredContent).toEqual({ pong: true, cost_cents: 0.5 });
    }
    const seen = upstream.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.headers.authorization).toBe(`Bearer ${SECRET}`);
      const values = JSON.stringify(request.headers);
      expect(values).not.toContain(admin);
      expect(values).not.toContain(callerKey);
      expect(request.headers['x-tenant-id']).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
    }
    expect(ran.ping).toHaveLength(2);
  });

  it('refuses with COST_CAP_EXCEEDED once today’s charges and the estimate pass the daily cap, before the upstream', async () => {
    // ping: est 0.5 cents, cap 1.25 cents; two calls were charged above (1.0 cent).
    const client = await mcpClient(pact, admin);
    const result = await client.callTool({ name: 'tools__ping', arguments: {} });
    await client.close();
    expect(result.isError).toBe(true);
    expect(firstText(result)).toBe(
      'COST_CAP_EXCEEDED: tools__ping has reached its daily cost cap: 1 of 1.25 cents spent today (UTC), and a call costs 0.5. It resets at midnight UTC.',
    );
    expect(ran.ping).toHaveLength(2);
    expect(await ledgerRows(pact, 'tools__ping')).toEqual([500_000, 500_000]);
    expect(await auditRows(pact, 'tools__ping')).toEqual([
      { path: 'mcp', outcome: 'denied', error_code: 'FORBIDDEN', cost: 0 },
      { path: 'mcp', outcome: 'ok', error_code: null, cost: 500_000 },
      { path: 'mcp', outcome: 'ok', error_code: null, cost: 500_000 },
      { path: 'mcp', outcome: 'denied', error_code: 'COST_CAP_EXCEEDED', cost: 0 },
    ]);
  });

  it('checks the consent subject against Pact’s consent: a withdrawn contact answers the blocked shape, uncharged', async () => {
    const contacts = await pact.gql<{ contacts: { items: { email: string }[] } }>('{ contacts(first: 2) { items { email } } }', {}, { token: admin });
    const [withdrawn, granted] = (contacts.body.data?.contacts.items ?? []).map((c) => c.email);
    await pact.gql('mutation($e: String!) { withdrawConsent(subject: { kind: EMAIL, value: $e }) { status } }', { e: withdrawn }, { token: admin });
    const client = await mcpClient(pact, manager);
    const blocked = await client.callTool({ name: 'tools__lookup_orders', arguments: { email: withdrawn } });
    expect(blocked.isError).toBeFalsy();
    expect(blocked.structuredContent).toEqual({ blocked: true, reason: 'consent_withdrawn', cost_cents: 0 });
    expect(JSON.parse(firstText(blocked))).toEqual({ blocked: true, reason: 'consent_withdrawn', cost_cents: 0 });
    expect(ran.lookup_orders).toEqual([]);

    const answered = await client.callTool({ name: 'tools__lookup_orders', arguments: { email: granted, limit: 1 } });
    await client.close();
    expect(answered.structuredContent).toEqual({ email: granted, orders: [{ id: 'o-1', total: 120 }], cost_cents: 0.25 });
    expect(JSON.parse(firstText(answered))).toEqual(answered.structuredContent);
    expect(ran.lookup_orders).toEqual([granted]);
    expect((await auditRows(pact, 'tools__lookup_orders')).slice(-2)).toEqual([
      { path: 'mcp', outcome: 'blocked', error_code: 'consent_withdrawn', cost: 0 },
      { path: 'mcp', outcome: 'ok', error_code: null, cost: 250_000 },
    ]);
    expect(await ledgerRows(pact, 'tools__lookup_orders')).toEqual([250_000]);
  });
});

describe('callFederatedTool on /graphql', () => {
  const CALL = 'mutation($tool: String!, $arguments: JSON) { callFederatedTool(tool: $tool, arguments: $arguments) { content structuredContent isError blocked reason } }';

  it('answers the same governed call with the cost in extensions, audited under the federated name', async () => {
    const contacts = await pact.gql<{ contacts: { items: { email: string }[] } }>('{ contacts(first: 3) { items { email } } }', {}, { token: admin });
    const email = contacts.body.data?.contacts.items[2]?.email;
    const res = await pact.gql<{ callFederatedTool: Record<string, unknown> }>(CALL, { tool: 'tools__lookup_orders', arguments: { email, limit: 1 } }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.callFederatedTool).toEqual({
      content: [{ type: 'text', text: JSON.stringify({ email, orders: [{ id: 'o-1', total: 120 }], cost_cents: 0.1 }) }],
      structuredContent: { email, orders: [{ id: 'o-1', total: 120 }], cost_cents: 0.1 },
      isError: false,
      blocked: false,
      reason: null,
    });
    expect(res.body.extensions?.cost_cents).toBe(0.25);
    expect((await auditRows(pact, 'tools__lookup_orders')).at(-1)).toEqual({ path: 'graphql', outcome: 'ok', error_code: null, cost: 250_000 });
    expect(await ledgerRows(pact, 'tools__lookup_orders')).toEqual([250_000, 250_000]);
  });

  it('refuses with the same codes: the cost cap, an unknown tool, a role', async () => {
    const capped = await pact.gql(CALL, { tool: 'tools__ping', arguments: {} }, { token: admin });
    expect(capped.body.errors?.[0]?.extensions?.code).toBe('COST_CAP_EXCEEDED');
    expect(capped.body.extensions?.cost_cents).toBe(0);
    const unknown = await pact.gql(CALL, { tool: 'tools__nothing', arguments: {} }, { token: admin });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const role = await pact.gql(CALL, { tool: 'tools__lookup_orders', arguments: { email: 'a@b.example' } }, { token: member });
    expect(role.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin', 'manager'], role: 'member' });
    expect(ran.ping).toHaveLength(2);
    expect((await auditRows(pact, 'tools__ping')).at(-1)).toEqual({ path: 'graphql', outcome: 'denied', error_code: 'COST_CAP_EXCEEDED', cost: 0 });
    expect(await auditRows(pact, 'tools__nothing')).toEqual([{ path: 'graphql', outcome: 'error', error_code: 'NOT_FOUND', cost: 0 }]);
  });
});

describe('OAuth tokens', () => {
  /** An access token for Pact's /mcp/ of `email` with `scope`, through the real sign-in and consent pages. */
  async function oauthToken(email: string, scope: string): Promise<string> {
    const registered = await fetch(`${pact.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', client_name: 'Federation test' }),
    });
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const { verifier, challenge } = pkce();
    const authorize = new URL(`${pact.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256', scope, state: 's', resource: `${pact.url}/mcp/` })) {
      authorize.searchParams.set(k, v);
    }
    const { location } = await browserAuthorize(pact.url, authorize, { email, password: DEMO_PASSWORD, tenant: pact.seed.demoTenantId });
    const res = await fetch(`${pact.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '', code_verifier: verifier, redirect_uri: REDIRECT_URI, resource: `${pact.url}/mcp/` }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('act with their user’s role, and need call:federated', async () => {
    const before = ran.lookup_orders?.length;
    const asMember = await mcpClient(pact, await oauthToken('member@pact.demo', 'call:federated'));
    expect(await names(asMember)).toEqual(['tools__ping']);
    const refused = await asMember.callTool({ name: 'tools__lookup_orders', arguments: { email: 'a@b.example' } });
    expect(firstText(refused)).toBe('FORBIDDEN: Calling tools__lookup_orders needs role owner, admin or manager; you are member.');
    await asMember.close();
    const asManager = await mcpClient(pact, await oauthToken('manager@pact.demo', 'call:federated read:deals'));
    expect((await names(asManager)).filter((n) => n.includes('__'))).toEqual(['tools__lookup_orders', 'tools__ping']);
    await asManager.close();
    const withoutScope = await mcpClient(pact, await oauthToken('manager@pact.demo', 'read:deals'));
    expect((await names(withoutScope)).some((n) => n.includes('__'))).toBe(false);
    await withoutScope.close();
    expect(ran.lookup_orders?.length).toBe(before);
  });
});

describe('on the 2026-07-28 revision (v2 client)', () => {
  it('lists and calls a federated tool, answered and charged as on the initialize revisions', async () => {
    const client = new ModernClient({ name: 'v2-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${manager}` } } }));
    expect((await client.listTools()).tools.map((t) => t.name).filter((n) => n.includes('__'))).toEqual(['tools__lookup_orders', 'tools__ping']);
    const charges = (await ledgerRows(pact, 'tools__lookup_orders')).length;
    const result = await client.callTool({ name: 'tools__lookup_orders', arguments: { email: 'someone@elsewhere.example', limit: 1 } });
    await client.close();
    expect(result.structuredContent).toEqual({ email: 'someone@elsewhere.example', orders: [{ id: 'o-1', total: 120 }], cost_cents: 0.25 });
    expect((await ledgerRows(pact, 'tools__lookup_orders')).length).toBe(charges + 1);
  });
});
