import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentPage } from '../../src/server/oauth/pages';
import { ROSTER, type AgentDefinition } from '../../src/services/agents/roster';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { REDIRECT_URI, pkce } from '../helpers/oauth';
import { startTestPact, type TestPact, TEST_TODAY } from '../helpers/pact';

let pact: TestPact;
let admin: string;
let full: string;
const ALL = ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows'];

beforeAll(async () => {
  pact = await startTestPact({ oauth: { autoApprove: { email: 'owner@pact.demo', password: DEMO_PASSWORD, tenant: 'demo' } } });
  admin = await pact.signIn('admin@pact.demo');
  full = await pact.mintKey(admin, ALL);
});
afterAll(() => pact.close());

const demo = () => pact.seed.demoTenantId;
const FIRE = `query($agent: String!, $id: ID, $q: String) {
  fireAgent(agent: $agent, targetId: $id, question: $q) { __typename ... on AgentRun { answer citations { kind id } } }
}`;

interface Fired {
  __typename: string;
  answer: string;
  citations: { kind: string; id: string }[];
}

const auditCount = async () => (await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where tenant_id = ${demo()}`))[0]?.n ?? 0;
const runCount = async () => (await pact.sql<{ n: number }>(sql`select count(*)::int as n from agent_runs where tenant_id = ${demo()}`))[0]?.n ?? 0;
const lastAudit = async () =>
  (await pact.sql<{ path: string; operation: string; outcome: string; error_code: string | null }>(
    sql`select path::text, operation, outcome::text, error_code from audit_log where tenant_id = ${demo()} order by seq desc limit 1`,
  ))[0];

async function visible(table: 'accounts' | 'contacts' | 'deals'): Promise<string> {
  const [row] = await pact.sql<{ id: string }>(sql`select id from ${sql.raw(table)} where tenant_id = ${demo()} and not consent_hidden order by id limit 1`);
  if (!row) throw new Error(`no visible ${table}`);
  return row.id;
}

/** The arguments that run `agent` (a target of its kind, a question where it takes one). */
async function argsFor(agent: AgentDefinition): Promise<{ id?: string; q?: string }> {
  const id = agent.needsTarget && agent.target ? await visible(`${agent.target}s`) : undefined;
  return { ...(id ? { id } : {}), ...(agent.question === 'required' ? { q: 'Which deals are in negotiation?' } : {}) };
}

const fire = (token: string, agent: string, args: { id?: string; q?: string } = {}) => pact.gql<{ fireAgent: Fired | null }>(FIRE, { agent, ...args }, { token });

/** Every seeded contact's name, e-mail and phone (decrypted through query_contacts with a full key): the canaries. */
async function contactCanaries(): Promise<string[]> {
  const res = await pact.gql<{ contacts: { items: { name: string | null; email: string | null; phone: string | null }[] } }>(
    '{ contacts(first: 100) { items { name email phone } } }',
    {},
    { token: full },
  );
  const values = (res.body.data?.contacts.items ?? []).flatMap((c) => [c.name, c.email, c.phone]).filter((v): v is string => typeof v === 'string' && v.length > 3);
  expect(values.length).toBeGreaterThan(10);
  return values;
}

describe('fire_agent needs the read scopes of the records its agent reads (GraphQL)', () => {
  it('refuses contact-summary to a key with read:workflows only, naming read:contacts, with one audit row `denied` and no run', async () => {
    const key = await pact.mintKey(admin, ['read:workflows']);
    const contact = await visible('contacts');
    const [audits, runs] = [await auditCount(), await runCount()];
    const res = await fire(key, 'contact-summary', { id: contact });
    expect(res.body.data?.fireAgent ?? null).toBeNull();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'read:contacts' });
    expect(res.body.errors?.[0]?.message).toMatch(/read:contacts/);
    expect(JSON.stringify(res.body)).not.toMatch(/@/);
    expect(await auditCount()).toBe(audits + 1);
    expect(await lastAudit()).toEqual({ path: 'graphql', operation: 'fireAgent', outcome: 'denied', error_code: 'FORBIDDEN' });
    expect(await runCount()).toBe(runs);
  });

  it('runs contact-summary with read:workflows + read:contacts, leaving out deals and account details it has no scope for', async () => {
    const key = await pact.mintKey(admin, ['read:workflows', 'read:contacts']);
    const res = await fire(key, 'contact-summary', { id: await visible('contacts') });
    expect(res.body.errors).toBeUndefined();
    const run = res.body.data?.fireAgent;
    expect(run?.__typename).toBe('AgentRun');
    expect(run?.citations.map((c) => c.kind)).not.toContain('deal');
    expect(run?.answer).toMatch(/Not read: account details \(read:accounts\) and deals \(read:deals\)/);
  });

  it('enforces every roster agent’s declared scopes: each one missing is refused by name; all of them run', async () => {
    for (const agent of ROSTER) {
      expect(agent.requiredScopes, agent.id).toContain('read:workflows');
      const args = await argsFor(agent);
      for (const scope of agent.requiredScopes) {
        const key = await pact.mintKey(admin, ALL.filter((s) => s !== scope));
        const audits = await auditCount();
        const res = await fire(key, agent.id, args);
        expect(res.body.errors?.[0]?.extensions, `${agent.id} without ${scope}`).toMatchObject({ code: 'FORBIDDEN', scope });
        expect(await auditCount()).toBe(audits + 1);
        expect((await lastAudit())?.outcome).toBe('denied');
      }
      const exact = await pact.mintKey(admin, [...agent.requiredScopes]);
      const ok = await fire(exact, agent.id, args);
      expect(ok.body.errors, agent.id).toBeUndefined();
      expect(ok.body.data?.fireAgent?.__typename, agent.id).toBe('AgentRun');
    }
  });

  it('lists each agent’s required scopes', async () => {
    const res = await pact.gql<{ agents: { items: { id: string; requiredScopes: string[] }[] } }>('{ agents { items { id requiredScopes } } }', {}, { token: full });
    expect(res.body.data?.agents.items).toEqual(ROSTER.map((a) => ({ id: a.id, requiredScopes: [...a.requiredScopes] })));
    expect(res.body.data?.agents.items.find((a) => a.id === 'contact-summary')?.requiredScopes).toEqual(['read:workflows', 'read:contacts']);
  });
});

describe('ask_workspace and read_briefing with their one scope expose no data of other scopes', () => {
  it('ask_workspace with read:accounts only searches accounts alone and says deals were not searched', async () => {
    const key = await pact.mintKey(admin, ['read:accounts']);
    const deals = await pact.sql<{ name: string }>(sql`select distinct name from deals where tenant_id = ${demo()}`);
    const canaries = await contactCanaries();
    for (const question of ['Which deals are in negotiation?', 'What is our pipeline?', 'Tell me about the largest deals', 'How many Software accounts do we have?']) {
      const res = await pact.gql<{ askWorkspace: { answer: string; notSearched: string[]; citations: { kind: string }[] } }>(
        'query($q: String!) { askWorkspace(question: $q) { answer notSearched citations { kind } } }',
        { q: question },
        { token: key },
      );
      const answer = res.body.data?.askWorkspace;
      expect(answer?.notSearched, question).toEqual(['deals (read:deals)']);
      expect(answer?.answer, question).toMatch(/Not searched: deals \(read:deals\)/);
      expect(answer?.citations.every((c) => c.kind === 'account'), question).toBe(true);
      const text = JSON.stringify(res.body);
      for (const d of deals) expect(text, `${question}: deal ${d.name}`).not.toContain(d.name);
      expect(text).not.toMatch(/open pipeline|worth|\d{1,3}(,\d{3})+\.\d{2}/i);
      for (const c of canaries) expect(text).not.toContain(c);
    }
    const withDeals = await pact.gql<{ askWorkspace: { notSearched: string[]; citations: { kind: string }[] } }>(
      '{ askWorkspace(question: "Which deals are in negotiation?") { notSearched citations { kind } } }',
      {},
      { token: full },
    );
    expect(withDeals.body.data?.askWorkspace.notSearched).toEqual([]);
    expect(withDeals.body.data?.askWorkspace.citations.some((c) => c.kind === 'deal')).toBe(true);
  });

  it('get_metric_explanation with read:deals only holds aggregates and deals: no contact name, e-mail or phone', async () => {
    const key = await pact.mintKey(admin, ['read:deals']);
    const res = await pact.gql('{ metricExplanation(kpi: OPEN_PIPELINE, from: "2026-01-01", to: "2026-12-31") { summary drivers { owner { label } industry { label } } largeDeals { id name } } }', {}, { token: key });
    expect(res.body.errors).toBeUndefined();
    const text = JSON.stringify(res.body);
    for (const c of await contactCanaries()) expect(text).not.toContain(c);
  });

  it('read_briefing with read:accounts only shows no contact name, e-mail or phone, even in activity logged with a contact', async () => {
    // The keys' briefing covers their creator's deals (the demo admin's).
    const creator = sql`(select id from users where email = 'admin@pact.demo')`;
    const [contact] = await pact.sql<{ id: string; account_id: string }>(
      sql`select c.id, c.account_id from contacts c join deals d on d.tenant_id = c.tenant_id and d.account_id = c.account_id and not d.consent_hidden and d.owner_id = ${creator}
          where c.tenant_id = ${demo()} and not c.consent_hidden and d.stage not in ('closed_won', 'closed_lost') order by c.id limit 1`,
    );
    const [deal] = await pact.sql<{ id: string }>(
      sql`select id from deals where tenant_id = ${demo()} and account_id = ${contact?.account_id} and owner_id = ${creator} and not consent_hidden and stage not in ('closed_won', 'closed_lost') order by id limit 1`,
    );
    const pii = await pact.gql<{ contact: { name: string; email: string; phone: string } }>('query($id: ID!) { contact(id: $id) { name email phone } }', { id: contact?.id }, { token: full });
    const person = pii.body.data?.contact;
    expect(person?.email).toContain('@');
    const log = (input: Record<string, unknown>) =>
      pact.gql('mutation($input: ActivityInput!) { createActivity(input: $input) { id } }', { input: { kind: 'CALL', dealId: deal?.id, occurredAt: `${TEST_TODAY}T23:00:00.000Z`, ...input } }, { token: admin });
    expect((await log({ contactId: contact?.id, subject: `Call with ${person?.name} (${person?.email}, ${person?.phone})` })).body.errors).toBeUndefined();
    expect((await log({ subject: `Reached ${person?.email} at ${person?.phone}` })).body.errors).toBeUndefined();

    const key = await pact.mintKey(admin, ['read:accounts']);
    const briefing = await pact.gql<{ briefing: { recentActivity: { subject: string; deal: { id: string } }[] } }>(
      '{ briefing { narrative recentActivity { subject deal { id name amount } } atRisk { deal { id name } reasons } citations { kind id label } } }',
      {},
      { token: key },
    );
    expect(briefing.body.errors).toBeUndefined();
    const subjects = (briefing.body.data?.briefing.recentActivity ?? []).filter((a) => a.deal.id === deal?.id).map((a) => a.subject);
    expect(subjects).toContain('(logged with a contact: its subject needs read:contacts)');
    expect(subjects).toContain('Reached [e-mail removed] at [phone removed]');
    const text = JSON.stringify(briefing.body);
    for (const c of await contactCanaries()) expect(text).not.toContain(c);
    const withContacts = await pact.gql<{ briefing: { recentActivity: { subject: string }[] } }>('{ briefing { recentActivity { subject } } }', {}, { token: full });
    expect(withContacts.body.data?.briefing.recentActivity.map((a) => a.subject)).toContain(`Call with ${person?.name} ([e-mail removed], [phone removed])`);
  });
});

async function connect(token: string) {
  const c = new Client({ name: 'agent-scopes-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return c;
}

/** An OAuth access token for the MCP resource with `scope`, through the real authorize and token endpoints (auto-approved). */
async function oauthToken(scope: string): Promise<string> {
  const registered = await fetch(`${pact.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', client_name: 'Agent scopes test' }),
  });
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const { verifier, challenge } = pkce();
  const url = new URL(`${pact.url}/oauth/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, code_challenge: challenge, code_challenge_method: 'S256', scope, state: 's', resource: `${pact.url}/mcp/` })) {
    url.searchParams.set(k, v);
  }
  const authorized = await fetch(url, { redirect: 'manual' });
  const code = new URL(authorized.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const tokens = await fetch(`${pact.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, resource: `${pact.url}/mcp/` }),
  });
  const body = (await tokens.json()) as { access_token: string; scope: string };
  expect(body.scope).toBe(scope);
  return body.access_token;
}

describe('fire_agent over MCP', () => {
  it('an API key with read:workflows only gets HTTP 403 and a JSON-RPC error naming read:contacts; one audit row `denied`', async () => {
    const key = await pact.mintKey(admin, ['read:workflows']);
    const contact = await visible('contacts');
    const client = await connect(key);
    const audits = await auditCount();
    await expect(client.callTool({ name: 'fire_agent', arguments: { agent: 'contact-summary', target_id: contact } })).rejects.toMatchObject({
      code: 403,
      message: expect.stringMatching(/"code":-32003,"message":"Missing required scope 'read:contacts'.*"scope":"read:contacts"/),
    });
    expect(await auditCount()).toBe(audits + 1);
    expect(await lastAudit()).toEqual({ path: 'mcp', operation: 'fire_agent', outcome: 'denied', error_code: 'FORBIDDEN' });
    // A tool the scope covers still runs for the same client.
    expect((await client.callTool({ name: 'list_agents', arguments: {} })).isError).toBeFalsy();
    await client.close();

    const raw = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'fire_agent', arguments: { agent: 'workspace-qa', question: 'pipeline?' } } }),
    });
    expect(raw.status).toBe(403);
    expect(((await raw.json()) as { error: { data: { scope: string; code: string } } }).error.data).toMatchObject({ code: 'FORBIDDEN', scope: 'read:accounts' });
  });

  it('an OAuth token with read:workflows only gets 403 insufficient_scope naming read:contacts; with read:contacts too it runs', async () => {
    const narrow = await oauthToken('read:workflows');
    const contact = await visible('contacts');
    const res = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${narrow}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fire_agent', arguments: { agent: 'contact-summary', target_id: contact } } }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="read:contacts", /);
    expect(await lastAudit()).toEqual({ path: 'mcp', operation: 'fire_agent', outcome: 'denied', error_code: 'FORBIDDEN' });

    const client = await connect(await oauthToken('read:workflows read:contacts'));
    const run = await client.callTool({ name: 'fire_agent', arguments: { agent: 'contact-summary', target_id: contact } });
    expect(run.isError, JSON.stringify(run.content)).toBeFalsy();
    expect(run.structuredContent).toMatchObject({ blocked: false, agent: 'contact-summary' });
    await client.close();
  });

  it('list_agents answers required_scopes, and the fire_agent description names each agent’s scopes', async () => {
    const client = await connect(full);
    const roster = (await client.callTool({ name: 'list_agents', arguments: {} })).structuredContent as { items: { id: string; required_scopes: string[] }[] };
    expect(roster.items.map((a) => [a.id, a.required_scopes])).toEqual(ROSTER.map((a) => [a.id, [...a.requiredScopes]]));
    const description = (await client.listTools()).tools.find((t) => t.name === 'fire_agent')?.description ?? '';
    for (const agent of ROSTER) {
      expect(description, agent.id).toContain(agent.id);
      for (const scope of agent.requiredScopes) expect(description, `${agent.id} ${scope}`).toContain(scope);
    }
    await client.close();
  });
});

describe('the OAuth consent page', () => {
  it('says under read:workflows which scopes each agent needs', () => {
    const html = consentPage({ requestId: 'r', formToken: 'f', client: { name: 'C' }, redirectHost: 'h', resource: 'https://pact.test/mcp/', userEmail: 'u@pact.demo', scopes: ['read:workflows'], tenants: [] });
    for (const agent of ROSTER) {
      const extra = agent.requiredScopes.filter((s) => s !== 'read:workflows');
      expect(html, agent.id).toContain(`${agent.id} (${extra.map((s) => `<code>${s}</code>`).join(', ') || 'nothing more'})`);
    }
  });
});
