import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { parse, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { persistedOperations } from '../../src/graphql/persisted';
import { runOperation } from '../../src/pipeline/run-operation';
import { authenticateRequest } from '../../src/pipeline/credentials';
import { createPactYoga, preparedOperation, type PactYoga, type YogaOptions } from '../../src/pipeline/yoga';
import { newCall } from '../../src/services/audit/call';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let admin: string;
let withdrawnContact: string;
let visibleContact: string;
beforeAll(async () => {
  pact = await startTestPact({ limits: { tenantPerMin: 1_000_000, operationPerMin: 1_000_000 } });
  admin = await pact.signIn('admin@pact.demo');
  const contactWith = async (status: string) => {
    const [row] = await pact.sql<{ id: string }>(
      sql`select c.id from contacts c join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
          where c.tenant_id = ${pact.seed.demoTenantId} and s.status = ${status} order by c.id limit 1`,
    );
    if (!row) throw new Error(`no seeded contact with consent ${status}`);
    return row.id;
  };
  withdrawnContact = await contactWith('withdrawn');
  const [visible] = await pact.sql<{ id: string }>(
    sql`select c.id from contacts c where c.tenant_id = ${pact.seed.demoTenantId} and not exists (
          select 1 from consent_subjects s where s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index) order by c.id limit 1`,
  );
  visibleContact = visible?.id ?? '';
});
afterAll(() => pact.close());

/** Counts the parses and validations that actually ran (not answered by a cache or a prepared form). */
function counting() {
  const counts = { parse: 0, validate: 0 };
  const plugin: Plugin = {
    onParse({ parseFn, setParseFn }) {
      setParseFn((...args) => {
        counts.parse += 1;
        return parseFn(...args);
      });
    },
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((...args) => {
        counts.validate += 1;
        return validateFn(...args);
      });
    },
  };
  return { counts, plugin };
}

const yogaOf = (options: Partial<YogaOptions> = {}): PactYoga =>
  createPactYoga({ services: pact.services, audiences: new Set([`${pact.url}/graphql`]), ...options });

type Body = ExecutionResult & { errors?: { message: string; extensions?: { code?: string } }[] };

const post = async (yoga: PactYoga, body: Record<string, unknown>, token = admin): Promise<{ status: number; body: Body }> => {
  const res = await yoga.fetch(`${pact.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Body };
};

const manifest = persistedOperations();
/** The console's own operations (console/operations): compiled here, answered in test/server/console.test.ts and the browser tests. */
const consoleOperations = new Set(
  readdirSync(join(import.meta.dirname, '..', '..', 'console', 'operations'))
    .filter((file) => file.endsWith('.graphql'))
    .flatMap((file) => [...readFileSync(join(import.meta.dirname, '..', '..', 'console', 'operations', file), 'utf8').matchAll(/^(?:query|mutation) (\w+)/gm)].map((m) => m[1] ?? '')),
);
const isConsoleOperation = (source: string): boolean => consoleOperations.has(/(?:^|[\s}])(?:query|mutation) (\w+)/.exec(source)?.[1] ?? '');
const apiOperations = Object.values(manifest).filter((source) => !isConsoleOperation(source));
const sourceOf = (name: string): string => {
  const declares = new RegExp(`(?:^|[\\s}])(?:query|mutation) ${name}[\\s(]`);
  const found = Object.values(manifest).find((source) => declares.test(source));
  if (!found) throw new Error(`no persisted operation ${name}`);
  return found;
};

/** Every persisted operation, with arguments that answer, refuse, or fail in the resolvers and in variable coercion. */
const cases = (): [string, Record<string, unknown>][] => [
  ['QueryContacts', {}],
  ['QueryContacts', { first: 5, search: 'a' }],
  ['QueryContacts', { email: 'nobody@nowhere.example' }],
  ['QueryContacts', { first: 'five' }],
  ['QueryContacts', { after: 'not-a-cursor' }],
  ['QueryContacts', { first: 100000 }],
  ['QueryAccounts', { first: 3 }],
  ['QueryAccounts', { industry: 'Fintech', search: 'a' }],
  ['QueryDeals', { first: 4, stage: 'PROPOSAL' }],
  ['QueryDeals', { stage: 'NOT_A_STAGE' }],
  ['QueryDeals', { account_id: 'not-an-id' }],
  ['QueryPipelineHealth', {}],
  ['QueryPipelineHealth', { owner_id: '01234567-89ab-7def-8123-456789abcdef' }],
  ['ReadBriefing', {}],
  ['ReadBriefing', { as_of: '2026-02-30' }],
  ['ListAgents', {}],
  ['GetMetricExplanation', {}],
  ['GetMetricExplanation', { kpi: 'WIN_RATE', from: '2026-01-01', to: '2026-06-30' }],
  ['GetMetricExplanation', { kpi: 'NOPE' }],
  ['AskWorkspace', { question: 'Which accounts are in fintech?' }],
  ['AskWorkspace', {}],
  ['ConsentCheck', { subject: 'nobody@nowhere.example' }],
  ['ConsentCheck', { subject: 'not a subject' }],
  ['McpServers', {}],
  ['RegisterMcpServer', { input: { name: 'x', slug: 'Not A Slug', endpointUrl: 'https://tools.example/mcp', transport: 'STREAMABLE_HTTP', authKind: 'NONE' } }],
  ['RegisterMcpServer', { input: { name: 'x', slug: 'x', endpointUrl: 'https://tools.example/mcp', transport: 'CARRIER_PIGEON', authKind: 'NONE' } }],
  ['DiscoverMcpServer', { id: '01234567-89ab-7def-8123-456789abcdef' }],
  ['GovernMcpTools', { serverId: '01234567-89ab-7def-8123-456789abcdef', tools: [] }],
  ['ApproveMcpTool', { serverId: '01234567-89ab-7def-8123-456789abcdef', tool: 'ping' }],
  ['SetMcpToolEnabled', { serverId: 'not-an-id', tool: 'ping', enabled: true }],
  ['DeleteMcpServer', { id: '01234567-89ab-7def-8123-456789abcdef' }],
  ['FireAgent', { agent: 'daily-briefing' }],
  ['FireAgent', { agent: 'contact-summary', target_id: visibleContact }],
  ['FireAgent', { agent: 'contact-summary', target_id: withdrawnContact }],
  ['FireAgent', { agent: 'no-such-agent' }],
  ['FireAgent', { agent: 'contact-summary', target_id: 'not-an-id' }],
  ['CallFederatedTool', { tool: 'nowhere__tool', arguments: {} }],
  ['CallFederatedTool', { tool: 'not a federated name' }],
  ['DiscoverMcpServer', { id: 'not-an-id' }],
];

/** Run ids are new on every run; everything else must match exactly. */
const comparable = (body: unknown): unknown => JSON.parse(JSON.stringify(body), (key, value: unknown) => (key === 'run_id' && typeof value === 'string' ? '<run id>' : value));

describe('persisted operations prepared at start', () => {
  it('prepares and compiles every manifest operation', async () => {
    const { counts, plugin } = counting();
    const yoga = yogaOf({ plugins: [plugin] });
    expect(apiOperations).toHaveLength(18);
    expect(consoleOperations.size).toBeGreaterThanOrEqual(20);
    expect(Object.keys(manifest)).toHaveLength(apiOperations.length + consoleOperations.size);
    const total = Object.keys(manifest).length;
    // One parse and one validation per manifest operation, at start.
    expect(counts).toEqual({ parse: total, validate: total });
    for (const source of Object.values(manifest)) expect(preparedOperation(yoga, parse(source))?.compiled).toEqual(expect.objectContaining({ query: expect.any(Function) }));
    const result = await post(yoga, { query: sourceOf('ListAgents') });
    expect(result.body.errors).toBeUndefined();
    expect(counts).toEqual({ parse: total, validate: total });
  });

  it('answers a persisted document with neither parse nor validation; an ad-hoc one is parsed and validated', async () => {
    for (const production of [false, true]) {
      const { counts, plugin } = counting();
      const yoga = yogaOf({ plugins: [plugin], production });
      const atStart = { ...counts };
      for (let i = 0; i < 3; i += 1) {
        const res = await post(yoga, { query: sourceOf('QueryAccounts'), variables: { first: 2 } });
        expect(res.body.errors).toBeUndefined();
        expect((res.body.data as { accounts: { returned: number } }).accounts.returned).toBe(2);
      }
      expect(counts).toEqual(atStart);
      const res = await post(yoga, { query: '{ accounts(first: 2) { returned } }' });
      expect((res.body.data as { accounts: { returned: number } }).accounts.returned).toBe(2);
      expect(counts).toEqual({ parse: atStart.parse + 1, validate: atStart.validate + 1 });
    }
  });

  it("prepared after start (npm start's mode): answers at once as any document, then prepared between requests", async () => {
    const { counts, plugin } = counting();
    const yoga = yogaOf({ plugins: [plugin], preparePersisted: 'after-start' });
    expect(counts).toEqual({ parse: 0, validate: 0 });
    const document = parse(sourceOf('QueryAccounts'));
    expect(preparedOperation(yoga, document)).toBeUndefined();
    const early = await post(yoga, { query: sourceOf('QueryAccounts'), variables: { first: 2 } });
    expect((early.body.data as { accounts: { returned: number } }).accounts.returned).toBe(2);
    const total = Object.keys(manifest).length;
    await vi.waitFor(() => expect(counts.validate).toBeGreaterThanOrEqual(total), { timeout: 20_000 });
    // A document looked up before it was prepared is found once it is.
    expect(preparedOperation(yoga, document)?.compiled).toEqual(expect.objectContaining({ query: expect.any(Function) }));
    const before = { ...counts };
    await post(yoga, { query: sourceOf('QueryAccounts'), variables: { first: 2 } });
    expect(counts).toEqual(before);
  });

  it('the same persisted document on an unprepared server is parsed and validated on its first call', async () => {
    const { counts, plugin } = counting();
    const yoga = yogaOf({ plugins: [plugin], persisted: 'unprepared' });
    expect(counts).toEqual({ parse: 0, validate: 0 });
    await post(yoga, { query: sourceOf('QueryAccounts'), variables: { first: 2 } });
    expect(counts).toEqual({ parse: 1, validate: 1 });
  });

  it('the in-process (MCP) path runs a prepared operation without validating it', async () => {
    const { counts, plugin } = counting();
    const yoga = yogaOf({ plugins: [plugin] });
    const atStart = { ...counts };
    const principal = await authenticateRequest(pact.services, new Request(`${pact.url}/mcp`, { headers: { authorization: `Bearer ${admin}` } }), 'mcp', new Set());
    const document = parse(sourceOf('QueryContacts'));
    const result = await runOperation(yoga, pact.services, newCall(principal), document, { first: 3 });
    expect(result.errors).toBeUndefined();
    expect((result.data as { contacts: { returned: number } }).contacts.returned).toBe(3);
    expect(counts).toEqual(atStart);
  });

  it.each(['compiled', 'prepared'] as const)('%s: every persisted operation answers exactly as unprepared execution does, over HTTP and in process', async (mode) => {
    const prepared = yogaOf({ persisted: mode });
    const unprepared = yogaOf({ persisted: 'unprepared' });
    const principal = await authenticateRequest(pact.services, new Request(`${pact.url}/mcp`, { headers: { authorization: `Bearer ${admin}` } }), 'mcp', new Set());
    const seen = new Set<string>();
    const outcomes = { data: 0, errors: 0 };
    for (const [name, variables] of cases()) {
      const query = sourceOf(name);
      seen.add(query);
      const [a, b] = [await post(prepared, { query, variables }), await post(unprepared, { query, variables })];
      expect({ name, variables, status: a.status, body: comparable(a.body) }).toEqual({ name, variables, status: b.status, body: comparable(b.body) });
      const document = parse(query);
      const run = (yoga: PactYoga) => runOperation(yoga, pact.services, newCall(principal), document, variables).catch((error: unknown) => ({ thrown: String(error).split('\n')[0] }));
      const [c, d] = [await run(prepared), await run(unprepared)];
      expect({ name, variables, result: comparable(c) }).toEqual({ name, variables, result: comparable(d) });
      if (a.body.errors?.length) outcomes.errors += 1;
      else outcomes.data += 1;
    }
    expect(seen.size).toBe(apiOperations.length);
    expect(outcomes.data).toBeGreaterThanOrEqual(14);
    expect(outcomes.errors).toBeGreaterThanOrEqual(9);
  });

  it('an abstract result (fireAgent: AgentRun | AgentBlocked) and a refused one compile to the same answers', async () => {
    const yoga = yogaOf();
    const run = await post(yoga, { query: sourceOf('FireAgent'), variables: { agent: 'contact-summary', target_id: visibleContact } });
    expect(run.body.data).toMatchObject({ fireAgent: { agent: 'contact-summary', blocked: false, target: { id: visibleContact, kind: 'contact' } } });
    const blocked = await post(yoga, { query: sourceOf('FireAgent'), variables: { agent: 'contact-summary', target_id: withdrawnContact } });
    expect(blocked.body.data).toMatchObject({ fireAgent: { blocked: true, reason: expect.any(String) } });
    const unknown = await post(yoga, { query: sourceOf('FireAgent'), variables: { agent: 'no-such-agent' } });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('hardening with prepared operations', () => {
  const deep = `{ ${'a { '.repeat(7)}b${' }'.repeat(7)} }`;
  const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `v${i}: viewer { role }`).join(' ')} }`;

  it.each([
    ['deep', deep, 'QUERY_TOO_DEEP'],
    ['alias-heavy', aliases, 'TOO_MANY_ALIASES'],
  ])('refuses an ad-hoc %s document with its stable code, every time', async (_, query, code) => {
    const yoga = yogaOf();
    for (let i = 0; i < 2; i += 1) {
      const res = await post(yoga, { query });
      expect(res.status).toBe(400);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
    }
  });

  it('a persisted operation over the configured limits is not prepared, and is refused with its code like any document', async () => {
    const yoga = yogaOf({ hardening: { maxDepth: 2 } });
    expect(preparedOperation(yoga, parse(sourceOf('QueryContacts')))).toBeUndefined();
    for (let i = 0; i < 2; i += 1) {
      const res = await post(yoga, { query: sourceOf('QueryContacts'), variables: { first: 2 } });
      expect(res.status).toBe(400);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
    }
  });
});
