import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import { PRICES } from '../../src/services/agents/pricing';
import { BOGUS_ID, contextIds, defaultReply, startFakeModel, type FakeModel } from '../helpers/fake-model';
import { startTestPact, type TestPact } from '../helpers/pact';

// One database; an offline server (the seed) and one server per provider, each pointed at the local fake.
let base: TestPact;
let anthropic: TestPact;
let openai: TestPact;
let fake: FakeModel;
let admin: string;
const logs: string[] = [];
const ANTHROPIC_KEY = 'sk-ant-test-secret-0123456789';
const OPENAI_KEY = 'sk-openai-test-secret-0123456789';
/** Every contact's name, e-mail and phone in the demo tenant (read through GraphQL, decrypted). */
let pii: string[] = [];

const capture = () =>
  createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    }),
  });

beforeAll(async () => {
  fake = await startFakeModel();
  base = await startTestPact();
  const shared = { database: base.database, masterKey: base.masterKey, seed: base.seed };
  anthropic = await startTestPact({
    database: shared,
    logger: capture(),
    model: { provider: 'anthropic', anthropicApiKey: ANTHROPIC_KEY, anthropicBaseUrl: fake.url, timeoutMs: 800 },
  });
  openai = await startTestPact({
    database: shared,
    logger: capture(),
    model: { provider: 'openai', openaiApiKey: OPENAI_KEY, openaiBaseUrl: `${fake.url}/v1`, timeoutMs: 800 },
  });
  admin = await base.signIn('admin@pact.demo');
  const contacts = await base.gql<{ contacts: { items: { name: string; email: string | null; phone: string | null }[] } }>(
    '{ contacts(first: 100) { items { name email phone } } }',
    {},
    { token: admin },
  );
  pii = (contacts.body.data?.contacts.items ?? []).flatMap((c) => [c.name, c.email, c.phone]).filter((v): v is string => Boolean(v));
  expect(pii.length).toBeGreaterThan(100);
});
afterAll(async () => {
  await anthropic?.close();
  await openai?.close();
  await base?.close();
  await fake?.close();
});
beforeEach(() => fake.reply(defaultReply));

const ASK = '{ askWorkspace(question: "Which deals are in negotiation?") { answer citations { kind id label } droppedCitations provider model inputTokens outputTokens modelCostCents consentFiltered } }';

type Ask = {
  askWorkspace: {
    answer: string;
    citations: { kind: string; id: string; label: string }[];
    droppedCitations: number;
    provider: string;
    model: string;
    inputTokens: number;
    outputTokens: number;
    modelCostCents: number;
  };
};

const lastAudit = async () =>
  (
    await base.sql<{ id: string; outcome: string; error_code: string | null; cost: number; operation: string; path: string }>(
      sql`select id, outcome, error_code, cost_microcents::int as cost, operation, path from audit_log order by at desc, seq desc limit 1`,
    )
  )[0];
const ledgerOf = async (auditId: string) =>
  (await base.sql<{ cost: number }>(sql`select cost_microcents::int as cost from usage_ledger where audit_id = ${auditId}`)).map((r) => r.cost);
const lastRun = async () =>
  (
    await base.sql<{ agent: string; outcome: string; reason: string | null; provider: string; model: string | null; input_tokens: number; output_tokens: number; cost: number; output: unknown; output_sealed: boolean; citations: { kind: string; id: string }[] }>(
      sql`select agent, outcome, reason, provider, model, input_tokens, output_tokens, cost_microcents::int as cost, output, output_sealed, citations from agent_runs order by created_at desc, id desc limit 1`,
    )
  )[0];

const noPii = (raw: string) => pii.filter((value) => raw.includes(value));

describe.each([
  ['anthropic', () => anthropic, '/v1/messages', PRICES.anthropic['claude-sonnet-4-6']!, 'claude-sonnet-4-6'],
  ['openai', () => openai, '/v1/chat/completions', PRICES.openai['gpt-4o-mini']!, 'gpt-4o-mini'],
] as const)('%s provider (official SDK against a local fake)', (name, server, path, price, model) => {
  it('sends the grounded prompt in the provider shape, with the key and no PII, and keeps only citations from the context', async () => {
    const before = fake.requests.length;
    const res = await server().gql<Ask>(ASK, {}, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const request = fake.requests[before];
    expect(fake.requests.length).toBe(before + 1);
    expect(request).toMatchObject({ method: 'POST', path });
    if (name === 'anthropic') {
      // This SDK release sends the API key as a bearer token.
      expect(request?.headers.authorization ?? request?.headers['x-api-key']).toMatch(new RegExp(`^(Bearer )?${ANTHROPIC_KEY}$`));
      expect(request?.headers['anthropic-version']).toEqual(expect.any(String));
      expect(request?.body).toMatchObject({ model, max_tokens: expect.any(Number), system: expect.stringContaining('workspace-qa'), messages: [{ role: 'user' }] });
    } else {
      expect(request?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(request?.body).toMatchObject({ model, messages: [{ role: 'system' }, { role: 'user' }] });
    }
    expect(request?.prompt).toContain('QUESTION: Which deals are in negotiation?');
    const offered = contextIds(request?.prompt ?? '');
    expect(offered.length).toBeGreaterThan(0);
    expect(noPii(request?.raw ?? '')).toEqual([]);

    const answer = res.body.data?.askWorkspace;
    expect(answer?.provider).toBe(name);
    expect(answer?.citations.map((c) => c.id)).toEqual([offered[0]?.id]);
    expect(answer?.droppedCitations).toBe(1);
    expect(answer?.answer).not.toContain(BOGUS_ID);
    expect(answer?.answer).toContain('[unverified citation removed]');
  });

  it('accounts tokens × the price table as model spend: echoed, in the one ledger row, and on the run', async () => {
    fake.reply(() => ({ text: 'No records needed.', inputTokens: 2345, outputTokens: 678 }));
    const res = await server().gql<Ask>(ASK, {}, { token: admin });
    const spend = 2345 * price.input + 678 * price.output;
    expect(res.body.data?.askWorkspace).toMatchObject({ inputTokens: 2345, outputTokens: 678, modelCostCents: spend / 1_000_000 });
    const total = 500_000 + spend;
    expect(res.body.extensions?.cost_cents).toBe(total / 1_000_000);
    const audit = await lastAudit();
    expect(audit).toMatchObject({ outcome: 'ok', cost: total, operation: 'askWorkspace' });
    expect(await ledgerOf(audit?.id ?? '')).toEqual([total]);
    expect(await lastRun()).toMatchObject({ agent: 'workspace-qa', outcome: 'ok', provider: name, input_tokens: 2345, output_tokens: 678, cost: spend, citations: [] });
  });

  it('answers a timeout with MODEL_TIMEOUT, audited as an error, the run stored as failed, nothing charged', async () => {
    fake.reply(() => ({ text: 'too late', delayMs: 3000 }));
    const res = await server().gql<Ask>(ASK, {}, { token: admin });
    const error = res.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'MODEL_TIMEOUT', provider: name });
    expect(error?.message).toMatch(/did not answer within 0\.8 s/);
    const audit = await lastAudit();
    expect(audit).toMatchObject({ outcome: 'error', error_code: 'MODEL_TIMEOUT', cost: 0 });
    expect(await ledgerOf(audit?.id ?? '')).toEqual([]);
    expect(await lastRun()).toMatchObject({ outcome: 'error', reason: 'MODEL_TIMEOUT', cost: 0 });
  });

  it.each([
    [500, /answered HTTP 500 \(the provider failed\)/],
    [401, /answered HTTP 401 \(the provider refused the API key: check its key\)/],
    [429, /answered HTTP 429/],
  ])('answers a provider HTTP %i with MODEL_ERROR and a clear message', async (status, message) => {
    fake.reply(() => ({ status, body: { error: { type: 'api_error', message: `echo of the prompt ${pii[0]}` } } }));
    const res = await server().gql<Ask>(ASK, {}, { token: admin });
    const error = res.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'MODEL_ERROR', provider: name, status });
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(pii[0]);
    expect(await lastAudit()).toMatchObject({ outcome: 'error', error_code: 'MODEL_ERROR', cost: 0 });
  });

  it('answers a malformed response with MODEL_ERROR', async () => {
    fake.reply(() => ({ raw: '{"unexpected": true}' }));
    const res = await server().gql<Ask>(ASK, {}, { token: admin });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('MODEL_ERROR');
    expect(res.body.errors?.[0]?.message).toMatch(/malformed answer/);
  });

  it('masks e-mail addresses and phone numbers in a question before it reaches the model', async () => {
    const before = fake.requests.length;
    const email = pii.find((v) => v.includes('@')) as string;
    await server().gql<Ask>('query($q: String!) { askWorkspace(question: $q) { answer } }', { q: `Which deals involve ${email} or +1 555 123 4567?` }, { token: admin });
    const raw = fake.requests[before]?.raw ?? '';
    expect(raw).not.toContain(email);
    expect(raw).not.toContain('555 123 4567');
    expect(raw).toContain('[e-mail removed]');
  });
});

describe('what reaches a model', () => {
  let contact: { id: string; name: string; email: string; phone: string };
  let account: string;
  const FIRE = 'query($agent: String!, $id: ID) { fireAgent(agent: $agent, targetId: $id) { ... on AgentRun { answer citations { kind id } provider } ... on AgentBlocked { reason } } }';

  beforeAll(async () => {
    const res = await base.gql<{ contacts: { items: { id: string; name: string; email: string; phone: string; accountId: string | null }[] } }>(
      '{ contacts(first: 20) { items { id name email phone accountId } } }',
      {},
      { token: admin },
    );
    const found = res.body.data?.contacts.items.find((c) => c.accountId && c.email && c.phone);
    if (!found) throw new Error('no contact with an account');
    contact = found;
    account = found.accountId as string;
  });

  it('an agent that reads no PII sends none, even when the tenant allows PII', async () => {
    await base.gql('mutation { updateAiSettings(input: { allowPiiToModel: true }) { allowPiiToModel } }', {}, { token: admin });
    try {
      for (const [agent, id] of [
        ['account-research', account],
        ['deal-risk', null],
        ['daily-briefing', null],
        ['metric-explainer', null],
      ] as const) {
        const before = fake.requests.length;
        const res = await openai.gql(FIRE, { agent, id }, { token: admin });
        expect(res.body.errors, agent).toBeUndefined();
        expect(noPii(fake.requests[before]?.raw ?? ''), agent).toEqual([]);
      }
    } finally {
      await base.gql('mutation { updateAiSettings(input: { allowPiiToModel: false }) { allowPiiToModel } }', {}, { token: admin });
    }
  });

  it('a PII agent sends placeholders while the tenant does not allow PII, and Pact fills them in after', async () => {
    fake.reply((request) => ({ text: `{{contact_name}} can be reached at {{contact_email}} [contact:${contextIds(request.prompt).find((c) => c.kind === 'contact')?.id}].` }));
    const before = fake.requests.length;
    const res = await openai.gql<{ fireAgent: { answer: string; citations: { kind: string; id: string }[]; provider: string } }>(FIRE, { agent: 'contact-summary', id: contact.id }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const raw = fake.requests[before]?.raw ?? '';
    expect(raw).toContain('{{contact_name}}');
    expect(noPii(raw)).toEqual([]);
    expect(res.body.data?.fireAgent.answer).toBe(`${contact.name} can be reached at ${contact.email} [contact:${contact.id}].`);
    expect(res.body.data?.fireAgent.citations).toEqual([{ kind: 'contact', id: contact.id }]);
    // The run's output holds PII: stored sealed under the tenant's data key, never in plaintext.
    const run = await lastRun();
    expect(run).toMatchObject({ agent: 'contact-summary', outcome: 'ok', output_sealed: true });
    expect(JSON.stringify(run?.output)).not.toContain(contact.name);
    expect(JSON.stringify(run?.output)).not.toContain(contact.email);
  });

  it("a PII agent sends the contact's PII once the tenant allows it, and only that contact's", async () => {
    await base.gql('mutation { updateAiSettings(input: { allowPiiToModel: true }) { allowPiiToModel } }', {}, { token: admin });
    try {
      const before = fake.requests.length;
      const res = await anthropic.gql(FIRE, { agent: 'follow-up-drafter', id: contact.id }, { token: admin });
      expect(res.body.errors).toBeUndefined();
      const raw = fake.requests[before]?.raw ?? '';
      expect(raw).toContain(contact.email);
      expect(noPii(raw).every((v) => [contact.name, contact.email, contact.phone, ...contact.name.split(' ')].includes(v))).toBe(true);
    } finally {
      await base.gql('mutation { updateAiSettings(input: { allowPiiToModel: false }) { allowPiiToModel } }', {}, { token: admin });
    }
  });

  it('a PII agent on a withdrawn contact is blocked before any model call', async () => {
    const [withdrawn] = await base.sql<{ id: string }>(sql`
      select c.id from contacts c join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
      where c.tenant_id = ${base.seed.demoTenantId} and s.status = 'withdrawn' limit 1`);
    const before = fake.requests.length;
    const res = await openai.gql<{ fireAgent: { reason: string } }>(FIRE, { agent: 'contact-summary', id: withdrawn?.id }, { token: admin });
    expect(res.body.data?.fireAgent).toEqual({ reason: 'consent_withdrawn' });
    expect(fake.requests.length).toBe(before);
  });

  it('never logs the API keys or the prompt', () => {
    const all = logs.join('\n');
    expect(all).not.toContain(ANTHROPIC_KEY);
    expect(all).not.toContain(OPENAI_KEY);
    expect(noPii(all)).toEqual([]);
    expect(all).toContain('agent run failed');
  });
});

describe('the monthly AI budget', () => {
  it('refuses AI calls once the month’s model spend reached it, on /graphql and through MCP, audited as denied', async () => {
    const key = await base.mintKey(admin, ['read:accounts', 'read:workflows']);
    const spent = async () => (await base.gql<{ aiSettings: { spentCents: number } }>('{ aiSettings { spentCents } }', {}, { token: admin })).body.data?.aiSettings.spentCents ?? 0;
    const already = await spent();
    await base.gql('mutation($c: Float!) { updateAiSettings(input: { monthlyBudgetCents: $c }) { monthlyBudgetCents } }', { c: already + 0.001 }, { token: admin });
    try {
      fake.reply(() => ({ text: 'Spending.', inputTokens: 5000, outputTokens: 500 }));
      const first = await openai.gql<Ask>(ASK, {}, { token: key });
      expect(first.body.errors).toBeUndefined();
      const refused = await openai.gql<Ask>(ASK, {}, { token: key });
      const error = refused.body.errors?.[0];
      expect(error?.extensions).toMatchObject({ code: 'AI_BUDGET_EXCEEDED', resets_on: expect.stringMatching(/^\d{4}-\d{2}-01$/) });
      expect(error?.message).toMatch(/monthly AI budget of .* cents is spent/);
      expect(await lastAudit()).toMatchObject({ outcome: 'denied', error_code: 'AI_BUDGET_EXCEEDED', cost: 0 });

      const client = new Client({ name: 'budget-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${openai.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      const tool = await client.callTool({ name: 'fire_agent', arguments: { agent: 'daily-briefing' } });
      expect(tool.isError).toBe(true);
      expect((tool.content as { text: string }[])[0]?.text).toMatch(/^AI_BUDGET_EXCEEDED: The workspace's monthly AI budget/);
      expect(await lastAudit()).toMatchObject({ path: 'mcp', operation: 'fire_agent', outcome: 'denied', error_code: 'AI_BUDGET_EXCEEDED' });
      await client.close();
      // list_agents is no AI call: still answered.
      expect((await base.gql('{ agents { returned } }', {}, { token: key })).body.errors).toBeUndefined();
    } finally {
      await base.gql('mutation { updateAiSettings(input: { monthlyBudgetCents: 1000 }) { monthlyBudgetCents } }', {}, { token: admin });
    }
  });

  it('a budget of 0 turns AI calls off, offline provider included', async () => {
    await base.gql('mutation { updateAiSettings(input: { monthlyBudgetCents: 0 }) { monthlyBudgetCents } }', {}, { token: admin });
    try {
      const res = await base.gql<Ask>(ASK, {}, { token: admin });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('AI_BUDGET_EXCEEDED');
      expect(res.body.errors?.[0]?.message).toMatch(/AI calls are turned off/);
    } finally {
      await base.gql('mutation { updateAiSettings(input: { monthlyBudgetCents: 1000 }) { monthlyBudgetCents } }', {}, { token: admin });
    }
  });

  it('only owners and admins change AI settings', async () => {
    const member = await base.signIn('member@pact.demo');
    const res = await base.gql('mutation { updateAiSettings(input: { allowPiiToModel: true }) { allowPiiToModel } }', {}, { token: member });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'admin:keys' });
  });
});
