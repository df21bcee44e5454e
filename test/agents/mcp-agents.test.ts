import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { assertCitationsResolve, type Citation } from './helpers';

let pact: TestPact;
let full: string;
let client: Client;
const AGENT_TOOLS = ['ask_workspace', 'fire_agent', 'get_metric_explanation', 'list_agents', 'read_briefing'];

beforeAll(async () => {
  pact = await startTestPact();
  const admin = await pact.signIn('admin@pact.demo');
  full = await pact.mintKey(admin, ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows']);
  client = await connect(full);
});
afterAll(async () => {
  await client?.close();
  await pact.close();
});

async function connect(token: string) {
  const c = new Client({ name: 'agents-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return c;
}

type Structured = Record<string, unknown> & { cost_cents: number; citations?: Citation[] };
const call = async (name: string, args: Record<string, unknown> = {}, c = client) => {
  const result = await c.callTool({ name, arguments: args });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Structured;
};

describe('the agent tools over MCP (official SDK client)', () => {
  it('lists the nine tools; fire_agent is the one not annotated read-only', async () => {
    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual([...AGENT_TOOLS, 'query_accounts', 'query_contacts', 'query_deals', 'query_pipeline_health'].sort());
    for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(t.name !== 'fire_agent');
  });

  it('list_agents answers the roster in snake_case with cost_cents', async () => {
    const roster = await call('list_agents');
    expect(roster).toMatchObject({ returned: 7, provider: 'offline', model: null, cost_cents: 0.01 });
    expect((roster.items as { id: string; reads_pii: boolean }[]).filter((a) => a.reads_pii).map((a) => a.id)).toEqual(['contact-summary', 'follow-up-drafter']);
  });

  it('ask_workspace, get_metric_explanation and read_briefing answer as /graphql does', async () => {
    const mcp = await call('ask_workspace', { question: 'Which deals are in negotiation?' });
    const gql = await pact.gql<{ askWorkspace: { answer: string; citations: Citation[]; consentFiltered: number } }>(
      '{ askWorkspace(question: "Which deals are in negotiation?") { answer citations { kind id label } consentFiltered } }',
      {},
      { token: full },
    );
    expect(mcp).toMatchObject({ answer: gql.body.data?.askWorkspace.answer, citations: gql.body.data?.askWorkspace.citations, consent_filtered: gql.body.data?.askWorkspace.consentFiltered, cost_cents: 0.5 });

    const periods = { from: '2026-07-01', to: '2026-12-31', compare_from: '2026-01-01', compare_to: '2026-06-30' };
    const metric = await call('get_metric_explanation', { kpi: 'WEIGHTED_PIPELINE', ...periods });
    const metricGql = await pact.gql<{ metricExplanation: { current: number; previous: number; summary: string; largeDeals: { id: string }[] } }>(
      '{ metricExplanation(kpi: WEIGHTED_PIPELINE, from: "2026-07-01", to: "2026-12-31", compareFrom: "2026-01-01", compareTo: "2026-06-30") { current previous summary largeDeals { id } } }',
      {},
      { token: full },
    );
    const m = metricGql.body.data?.metricExplanation;
    expect(metric).toMatchObject({ kpi: 'WEIGHTED_PIPELINE', current: m?.current, previous: m?.previous, summary: m?.summary, cost_cents: 0.5 });
    expect((metric.large_deals as { id: string }[]).map((d) => d.id)).toEqual(m?.largeDeals.map((d) => d.id));

    const briefing = await call('read_briefing', { as_of: '2026-06-15' });
    const briefingGql = await pact.gql<{ briefing: { narrative: string } }>('{ briefing(asOf: "2026-06-15") { narrative } }', {}, { token: full });
    expect(briefing).toMatchObject({ as_of: '2026-06-15', scope: 'user', narrative: briefingGql.body.data?.briefing.narrative, cost_cents: 0.5 });
    for (const result of [mcp, metric, briefing]) await assertCitationsResolve(pact, result.citations ?? []);
  });

  it('ask_workspace continues a conversation with follow_up_of; another caller’s run is a tool error, not charged', async () => {
    const [account] = await pact.sql<{ id: string; name: string }>(sql`select a.id, a.name from accounts a where a.tenant_id = ${pact.seed.demoTenantId} and not a.consent_hidden
      and exists (select 1 from deals d where d.account_id = a.id and d.stage = 'negotiation' and not d.consent_hidden) order by a.id limit 1`);
    const first = await call('ask_workspace', { question: `Tell me about ${account?.name}` });
    const next = await call('ask_workspace', { question: 'which of their deals are in negotiation?', follow_up_of: first.run_id });
    const deals = await pact.sql<{ id: string }>(sql`select id from deals where account_id = ${account?.id} and stage = 'negotiation' and not consent_hidden order by amount_cents desc, id limit 5`);
    expect(next).toMatchObject({ cost_cents: 0.5 });
    expect(next.citations?.map((c) => c.id)).toEqual(deals.map((d) => d.id));
    await assertCitationsResolve(pact, next.citations ?? []);

    const admin = await pact.signIn('admin@pact.demo');
    const other = await connect(await pact.mintKey(admin, ['read:accounts', 'read:deals']));
    const refused = await other.callTool({ name: 'ask_workspace', arguments: { question: 'and their open deals?', follow_up_of: first.run_id } });
    expect(refused.isError).toBe(true);
    expect((refused.content as { text: string }[])[0]?.text).toMatch(/^NOT_FOUND: `followUpOf` names no earlier ask_workspace answer of yours/);
    const [row] = await pact.sql<{ operation: string; outcome: string; cost: number }>(
      sql`select operation, outcome, cost_microcents::int as cost from audit_log where tenant_id = ${pact.seed.demoTenantId} order by seq desc limit 1`,
    );
    expect(row).toEqual({ operation: 'ask_workspace', outcome: 'error', cost: 0 });
    await other.close();
  });

  it('fire_agent answers a run, and the blocked shape for each status that is not granted, audited on path mcp', async () => {
    const [account] = await pact.sql<{ id: string }>(sql`select id from accounts where tenant_id = ${pact.seed.demoTenantId} and not consent_hidden order by id limit 1`);
    const run = await call('fire_agent', { agent: 'account-research', target_id: account?.id });
    expect(run).toMatchObject({ blocked: false, agent: 'account-research', target: { kind: 'account', id: account?.id }, provider: 'offline', cost_cents: 1 });
    await assertCitationsResolve(pact, run.citations ?? []);

    const targets = await pact.sql<{ status: string; id: string }>(sql`
      select distinct on (s.status) s.status, c.id from contacts c join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
      where c.tenant_id = ${pact.seed.demoTenantId} and s.status in ('withdrawn', 'suppressed') order by s.status, c.id`);
    const [erased] = await pact.sql<{ id: string }>(sql`select contact_id as id from erased_contacts where tenant_id = ${pact.seed.demoTenantId} limit 1`);
    for (const [status, id] of [...targets.map((t) => [t.status, t.id] as const), ['erased', erased?.id] as const]) {
      const blocked = await call('fire_agent', { agent: 'contact-summary', target_id: id });
      expect(blocked, status).toEqual({ blocked: true, reason: `consent_${status}`, agent: 'contact-summary', run_id: expect.any(String), target: { kind: 'contact', id }, cost_cents: 0 });
      const [row] = await pact.sql<{ path: string; operation: string; outcome: string; error_code: string }>(
        sql`select path, operation, outcome, error_code from audit_log where tenant_id = ${pact.seed.demoTenantId} order by seq desc limit 1`,
      );
      expect(row).toEqual({ path: 'mcp', operation: 'fire_agent', outcome: 'blocked', error_code: `consent_${status}` });
    }
  });

  it('refuses bad arguments as a tool error the model can correct', async () => {
    const result = await client.callTool({ name: 'fire_agent', arguments: { agent: 'contact-summary' } });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toMatch(/^BAD_USER_INPUT: contact-summary needs a target/);
  });

  it('a key with read:accounts only gets ask_workspace and read_briefing, not the others', async () => {
    const admin = await pact.signIn('admin@pact.demo');
    const narrow = await connect(await pact.mintKey(admin, ['read:accounts']));
    const names = (await narrow.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['ask_workspace', 'query_accounts', 'read_briefing']);
    expect(await call('read_briefing', { as_of: '2026-06-15' }, narrow)).toMatchObject({ scope: 'user', owner_name: expect.any(String) });
    await narrow.close();
  });

  it('the ledger holds exactly the cost_cents the MCP results echoed', async () => {
    const [start] = await pact.sql<{ id: number }>(sql`select coalesce(max(id), 0)::int as id from usage_ledger`);
    const echoed: number[] = [];
    echoed.push((await call('list_agents')).cost_cents);
    echoed.push((await call('ask_workspace', { question: 'How many Software accounts do we have?' })).cost_cents);
    echoed.push((await call('get_metric_explanation', { kpi: 'CYCLE_TIME' })).cost_cents);
    echoed.push((await call('read_briefing', {})).cost_cents);
    echoed.push((await call('fire_agent', { agent: 'deal-risk' })).cost_cents);
    const rows = await pact.sql<{ operation: string; cost: number }>(sql`select operation, cost_microcents::int as cost from usage_ledger where id > ${start?.id} and path = 'mcp' order by id`);
    expect(rows.map((r) => r.operation)).toEqual(['list_agents', 'ask_workspace', 'get_metric_explanation', 'read_briefing', 'fire_agent']);
    expect(rows.map((r) => r.cost / 1_000_000)).toEqual(echoed);
  });
});
