import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedOperations } from '../../src/graphql/persisted';
import { mcpTools } from '../../src/mcp/generated/tools';
import { startTestPact, type GqlResponse, type TestPact } from '../helpers/pact';

/**
 * A tenant where every data subject (every contact's e-mail, every account's domain) has withdrawn
 * consent: every persisted operation over /graphql and every MCP tool over both official SDK clients (v2, v1)
 * returns none of its records — no id, name, e-mail or deal name — and the counts say they were hidden.
 */
type Args = Record<string, unknown>;
type Json = Record<string, unknown>;
type ContactPage = { contacts: { items: { id: string; name: string; email: string }[]; nextCursor: string | null } };

let pact: TestPact;
let key: string;
/** Every string that names a withdrawn record. */
const secrets = new Set<string>();
const hidden = { accounts: 0, contacts: 0, deals: 0 };
let sample: { contactId: string; email: string; name: string; accountId: string; accountName: string; dealId: string; dealName: string };

beforeAll(async () => {
  pact = await startTestPact();
  const tenant = pact.seed.demoTenantId;
  const admin = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(admin, ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'write:consent']);
  // Grant every subject the seed left hidden, so the contacts' names and e-mails can be read once.
  await pact.sql(sql`update consent_subjects set status = 'granted' where tenant_id = ${tenant} and status in ('suppressed', 'withdrawn')`);
  const people: { id: string; name: string; email: string }[] = [];
  for (let after: string | null = null, pages = 0; pages < 10; pages += 1) {
    const res: GqlResponse<ContactPage> = await pact.gql<ContactPage>(
      'query($a: String) { contacts(first: 100, after: $a) { items { id name email } nextCursor } }',
      { a: after },
      { token: key },
    );
    people.push(...(res.body.data?.contacts.items ?? []));
    after = res.body.data?.contacts.nextCursor ?? null;
    if (!after) break;
  }
  const accounts = await pact.sql<{ id: string; name: string; domain: string }>(sql`select id, name, domain from accounts where tenant_id = ${tenant} order by id`);
  const deals = await pact.sql<{ id: string; name: string; account_id: string }>(sql`select id, name, account_id from deals where tenant_id = ${tenant} order by id`);
  const [contactRows] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contacts where tenant_id = ${tenant}`);
  expect(people.length).toBe(contactRows?.n);
  expect(accounts.every((a) => a.domain) && people.every((p) => p.email)).toBe(true);

  for (const p of people) {
    const res = await pact.gql('mutation($v: String!) { withdrawConsent(subject: { kind: EMAIL, value: $v }) { status } }', { v: p.email }, { token: key });
    expect(res.body.errors).toBeUndefined();
  }
  for (const a of accounts) {
    const res = await pact.gql('mutation($v: String!) { withdrawConsent(subject: { kind: DOMAIN, value: $v }) { status } }', { v: a.domain }, { token: key });
    // A domain the seed erased stays erased (CONFLICT): hidden as well.
    expect(res.body.errors?.[0]?.extensions?.code ?? 'ok').toMatch(/^(ok|CONFLICT)$/);
  }
  for (const list of ['accounts', 'contacts', 'deals'] as const) {
    const [row] = await pact.sql<{ all: number; flagged: number }>(
      sql`select count(*)::int as all, count(*) filter (where consent_hidden)::int as flagged from ${sql.raw(list)} where tenant_id = ${tenant}`,
    );
    expect(row?.flagged, list).toBe(row?.all);
    hidden[list] = row?.all ?? 0;
  }
  const [periods] = await pact.sql<{ n: number }>(
    sql`select count(*)::int as n from deals where tenant_id = ${tenant} and close_date between ${PERIOD.compare_from}::date and ${PERIOD.to}::date`,
  );
  inPeriods = periods?.n ?? 0;
  const [closed] = await pact.sql<{ n: number }>(
    sql`select count(*)::int as n from deals where tenant_id = ${tenant} and stage in ('closed_won', 'closed_lost') and close_date is not null`,
  );
  closedDeals = closed?.n ?? 0;
  expect(closedDeals).toBeGreaterThan(0);
  // The key's briefing covers the deals of its creator (the demo admin).
  const [mine] = await pact.sql<{ n: number }>(
    sql`select count(*)::int as n from deals where tenant_id = ${tenant} and owner_id = (select id from users where email = 'admin@pact.demo')`,
  );
  creatorDeals = mine?.n ?? 0;
  expect(creatorDeals).toBeGreaterThan(0);
  expect(inPeriods).toBeGreaterThan(0);
  for (const p of people) [p.id, p.name, p.email].forEach((s) => secrets.add(s));
  for (const a of accounts) [a.id, a.name, a.domain].forEach((s) => secrets.add(s));
  for (const d of deals) [d.id, d.name].forEach((s) => secrets.add(s));
  const person = people[0];
  const account = accounts.find((a) => deals.some((d) => d.account_id === a.id));
  const deal = deals.find((d) => d.account_id === account?.id);
  if (!person || !account || !deal) throw new Error('the seed has no contact, account or deal');
  sample = { contactId: person.id, email: person.email, name: person.name, accountId: account.id, accountName: account.name, dealId: deal.id, dealName: deal.name };
}, 240_000);
afterAll(() => pact?.close());

type ToolResult = { isError?: boolean; structuredContent?: unknown; content?: unknown };
interface AnyClient {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments: Args }): Promise<ToolResult>;
  close(): Promise<void>;
}

const requestInit = (): RequestInit => ({ headers: { authorization: `Bearer ${key}` } });

/** The official SDK clients: v2 speaking 2026-07-28, v1 speaking 2025-11-25. */
const CLIENTS: [string, () => Promise<AnyClient>][] = [
  [
    'v2 client (2026-07-28)',
    async () => {
      const client = new ModernClient({ name: 'withdrawn-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await client.connect(new ModernTransport(new URL(`${pact.url}/mcp/`), { requestInit: requestInit() }));
      return client as unknown as AnyClient;
    },
  ],
  [
    'v1 client (2025-11-25)',
    async () => {
      const client = new LegacyClient({ name: 'withdrawn-v1', version: '1.0.0' });
      await client.connect(new LegacyTransport(new URL(`${pact.url}/mcp/`), { requestInit: requestInit() }));
      return client as unknown as AnyClient;
    },
  ],
];

const PERIOD = { from: '2021-01-01', to: '2030-12-31', compare_from: '2011-01-01', compare_to: '2020-12-31' };
/** Deals with a close date in either period (all hidden). */
let creatorDeals = 0;
let inPeriods = 0;
/** Won and lost deals with a close date (all hidden). */
let closedDeals = 0;

/** The argument sets each tool (and its persisted operation) runs with: every filter, every agent. */
const argumentSets = (): Record<string, Args[]> => ({
  query_accounts: [{ first: 100 }, { search: sample.accountName }, { industry: 'Software' }],
  query_contacts: [{ first: 100 }, { search: 'CEO' }, { email: sample.email }, { name_or_email: sample.name }, { account_id: sample.accountId }],
  query_deals: [{ first: 100 }, { stage: 'NEGOTIATION' }, { account_id: sample.accountId }, { search: sample.dealName }],
  query_pipeline_health: [{}],
  get_metric_explanation: ['OPEN_PIPELINE', 'WEIGHTED_PIPELINE', 'WIN_RATE', 'AVERAGE_DEAL_SIZE', 'CYCLE_TIME'].map((kpi) => ({ kpi, ...PERIOD })),
  ask_workspace: [{ question: 'What are our largest deals?' }, { question: `Tell me about ${sample.accountName}` }, { question: 'Which software accounts are in negotiation?' }],
  list_agents: [{}],
  read_briefing: [{}, { as_of: '2026-01-15' }],
  fire_agent: [
    { agent: 'metric-explainer', question: 'Why did open pipeline move between 2021-01-01 and 2030-12-31?' },
    { agent: 'workspace-qa', question: 'What are our largest deals?' },
    { agent: 'daily-briefing' },
    { agent: 'deal-risk' },
    { agent: 'deal-risk', target_id: sample.dealId },
    { agent: 'account-research', target_id: sample.accountId },
    { agent: 'contact-summary', target_id: sample.contactId },
    { agent: 'follow-up-drafter', target_email: sample.email },
  ],
});

/**
 * What a withdrawn record may not show up as: any of the secrets but those the caller itself sent,
 * and the target a blocked answer names (the contract: `target: { kind, id }`, also for a target
 * given by e-mail).
 */
function leaks(answer: unknown, args: Args): string[] {
  const text = JSON.stringify(answer);
  const sent = JSON.stringify(args);
  const named = args.target_email === sample.email ? [sample.contactId] : [];
  return [...secrets].filter((s) => text.includes(s) && !sent.includes(s) && !named.includes(s));
}

/** Checks the counts an answer reports: nothing returned, every hidden record counted where the list is unfiltered. */
function checkCounts(tool: string, args: Args, answer: Json): void {
  const at = `${tool} ${JSON.stringify(args)}`;
  if (tool.startsWith('query_') && tool !== 'query_pipeline_health') {
    expect(answer.returned, at).toBe(0);
    expect(answer.items, at).toEqual([]);
    if (Object.keys(args).join() === 'first') expect(answer.consent_filtered, at).toBe(hidden[tool.slice('query_'.length) as keyof typeof hidden]);
  }
  if (tool === 'query_pipeline_health') {
    expect(answer, at).toMatchObject({ open_deals: 0, won_deals: 0, lost_deals: 0, top_deals: [], consent_filtered: hidden.deals });
  }
  if (tool === 'get_metric_explanation') expect(answer, at).toMatchObject({ large_deals: [], consent_filtered: inPeriods });
  if (tool === 'read_briefing') expect(answer, at).toMatchObject({ recent_activity: [], at_risk: [], consent_filtered: creatorDeals });
  if (tool === 'fire_agent' && args.agent && (args.target_id || args.target_email)) {
    expect(answer, at).toMatchObject({ blocked: true, reason: 'consent_withdrawn' });
  }
}

const firstValue = (data: Json | null | undefined): Json => Object.values(data ?? {})[0] as Json;

/** The name of a persisted operation (the last operation in its source; fragments come first). */
const operationName = (source: string): string => /(?:^|[\s}])(?:query|mutation) (\w+)/.exec(source)?.[1] ?? '';
const isMutation = (source: string): boolean => /(?:^|[\s}])mutation \w+/.test(source);

/**
 * The other persisted queries (the consent check and the console's), run with an admin's session:
 * none may show a withdrawn record, except consent administration, which exists to show them.
 */
const otherQueries = (): Record<string, Args[]> => ({
  ConsentCheck: [{ subject: sample.email }],
  ConsoleAccounts: [{ first: 100 }, { search: sample.accountName }],
  ConsoleAgents: [{}],
  ConsoleFireAgent: [{ agent: 'contact-summary', targetId: sample.contactId }, { agent: 'deal-risk' }],
  ConsoleAskWorkspace: [{ question: `Tell me about ${sample.accountName}` }],
  ConsoleBriefing: [{}],
  ConsoleAgentRuns: [{ first: 50 }],
  ConsoleAuditVerification: [{}],
  ConsoleAuditLog: [{ first: 100 }],
  ConsoleContacts: [{ first: 100 }, { search: 'CEO' }],
  ConsoleContact: [{ id: sample.contactId }],
  ConsoleApiKeys: [{ includeRevoked: true }],
  ConsolePipeline: [{}],
  ConsoleDealOutcomes: [{}],
  ConsoleMembers: [{}],
  McpServers: [{}],
  ConsoleDeal: [{ id: sample.dealId }],
  ConsoleDealActivities: [{ dealId: sample.dealId }],
  ConsoleSettings: [{}],
  ConsoleTenantKeys: [{}],
  ConsoleUsage: [{}],
  ConsoleViewer: [{}],
});
/** Consent administration shows withdrawn subjects by design (their status and history). */
const CONSENT_ADMINISTRATION = new Set(['ConsoleConsentSubject', 'ConsoleConsentSubjects']);

describe('a tenant where every subject withdrew consent', () => {
  it('every persisted query has argument sets here, and each tool is one of them', () => {
    const byHash = new Map(mcpTools.map((t) => [t.hash, t.name]));
    const queries = Object.entries(persistedOperations()).filter(([, source]) => !isMutation(source));
    const names = queries.map(([hash, source]) => byHash.get(hash) ?? operationName(source)).filter((n) => !CONSENT_ADMINISTRATION.has(n));
    expect(names.sort()).toEqual([...Object.keys(argumentSets()), ...Object.keys(otherQueries())].sort());
  });

  it('over /graphql, the consent check and the console queries return no withdrawn record', async () => {
    const admin = await pact.signIn('admin@pact.demo');
    const consentKey = await pact.mintKey(admin, ['check:consent']);
    const sources = Object.values(persistedOperations());
    for (const [name, sets] of Object.entries(otherQueries())) {
      const query = sources.find((source) => operationName(source) === name);
      for (const args of sets) {
        const res = await fetch(`${pact.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${name === 'ConsentCheck' ? consentKey : admin}` },
          body: JSON.stringify({ query, variables: args }),
        });
        const body = (await res.json()) as { data?: Json | null; errors?: { extensions?: { code?: string } }[] };
        const at = `${name} ${JSON.stringify(args)}`;
        expect(body.errors, at).toBeUndefined();
        expect(leaks(body, args), at).toEqual([]);
        if (name === 'ConsoleDealOutcomes') expect(firstValue(body.data), at).toMatchObject({ months: [], consentFiltered: closedDeals });
      }
    }
  }, 120_000);

  it('over /graphql, every persisted operation returns no withdrawn record and counts them hidden', async () => {
    for (const [tool, sets] of Object.entries(argumentSets())) {
      const hash = mcpTools.find((t) => t.name === tool)?.hash;
      for (const args of sets) {
        const res = await fetch(`${pact.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: persistedOperations()[hash ?? ''], variables: args }),
        });
        const body = (await res.json()) as { data?: Json | null; errors?: unknown[] };
        const at = `${tool} ${JSON.stringify(args)}`;
        expect(body.errors, at).toBeUndefined();
        expect(leaks(body, args), at).toEqual([]);
        checkCounts(tool, args, firstValue(body.data));
      }
    }
  }, 120_000);

  it.each(CLIENTS)('over MCP (%s), every tool returns no withdrawn record and counts them hidden', async (_, connect) => {
    const mcp = await connect();
    const listed = (await mcp.listTools()).tools.map((t) => t.name).sort();
    expect(listed).toEqual(Object.keys(argumentSets()).sort());
    for (const [tool, sets] of Object.entries(argumentSets())) {
      for (const args of sets) {
        const result = await mcp.callTool({ name: tool, arguments: args });
        const at = `${tool} ${JSON.stringify(args)}`;
        expect(result.isError ? result.content : 'ok', at).toBe('ok');
        expect(leaks(result, args), at).toEqual([]);
        checkCounts(tool, args, result.structuredContent as Json);
      }
    }
    await mcp.close();
  }, 120_000);

  it('a query written without any consent predicate, run as the application role, sees none of them', async () => {
    const tenant = pact.seed.demoTenantId;
    for (const list of ['accounts', 'contacts', 'deals', 'contact_title_tokens']) {
      const [row] = await pact.database.withTenant(tenant, (tx) => pact.database.rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.raw(list)}`));
      expect(row?.n, list).toBe(0);
    }
    const [joined] = await pact.database.withTenant(tenant, (tx) =>
      pact.database.rows<{ n: number }>(tx, sql`select count(*)::int as n from activities x join deals d on d.id = x.deal_id`),
    );
    expect(joined?.n).toBe(0);
  });

  it('a create or update whose record consent would hide is refused with CONFLICT and saves nothing', async () => {
    const writer = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:contacts', 'write:crm']);
    const tenant = pact.seed.demoTenantId;
    const rows = async () => (await pact.sql<{ n: number }>(sql`select ((select count(*) from contacts where tenant_id = ${tenant}) + (select count(*) from accounts where tenant_id = ${tenant}))::int as n`))[0]?.n;
    const before = await rows();
    const created = await pact.gql('mutation($e: String!) { createContact(input: { name: "Again", email: $e }) { id name } }', { e: sample.email }, { token: writer });
    expect(created.body.data).toBeNull();
    expect(created.body.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', reason: 'consent' } });
    const account = await pact.gql<{ createAccount: { id: string } }>('mutation { createAccount(input: { name: "Fresh Co", domain: "fresh-co.example" }) { id } }', {}, { token: writer });
    const id = account.body.data?.createAccount.id;
    expect(id).toBeDefined();
    const [withdrawnDomain] = [...secrets].filter((s) => /^[a-z0-9-]+\.[a-z]+$/.test(s));
    const moved = await pact.gql('mutation($id: ID!, $d: String!) { updateAccount(id: $id, input: { domain: $d }) { id domain } }', { id, d: withdrawnDomain }, { token: writer });
    expect(moved.body.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', reason: 'consent' } });
    const [stored] = await pact.sql<{ domain: string }>(sql`select domain from accounts where id = ${id ?? null}`);
    expect(stored?.domain).toBe('fresh-co.example');
    expect(await rows()).toBe((before ?? 0) + 1);
  });
});
