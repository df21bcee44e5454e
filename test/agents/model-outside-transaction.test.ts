import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReply, startFakeModel, type FakeModel, type FakeReply } from '../helpers/fake-model';
import { startTestPact, type TestPact } from '../helpers/pact';

// A slow external model (the local fake, answering after MODEL_DELAY_MS) behind one server; reads go
// to another server on the same database. On the embedded database both share its one connection.
const MODEL_DELAY_MS = 2_500;
let base: TestPact;
let slow: TestPact;
let fake: FakeModel;
let admin: string;

beforeAll(async () => {
  fake = await startFakeModel();
  base = await startTestPact();
  slow = await startTestPact({
    database: { database: base.database, masterKey: base.masterKey, seed: base.seed },
    model: { provider: 'anthropic', anthropicApiKey: 'sk-ant-test-secret-0123456789', anthropicBaseUrl: fake.url, timeoutMs: 20_000 },
  });
  admin = await base.signIn('admin@pact.demo');
  fake.reply((request) => ({ ...(defaultReply(request) as Extract<FakeReply, { text: string }>), delayMs: MODEL_DELAY_MS }));
});
afterAll(async () => {
  await slow?.close();
  await base?.close();
  await fake?.close();
});

const ASK = 'query Ask($q: String!) { askWorkspace(question: $q) { answer modelCostCents } }';
const READ = '{ contacts(first: 5) { items { id name } consentFiltered } }';

const denied = async () =>
  (await base.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where outcome = 'denied' and error_code = 'AI_BUDGET_EXCEEDED'`))[0]?.n ?? 0;

const setBudget = async (cents: number) => {
  const res = await base.gql(`mutation { updateAiSettings(input: { monthlyBudgetCents: ${cents} }) { monthlyBudgetCents } }`, {}, { token: admin });
  expect(res.body.errors).toBeUndefined();
};

describe('an agent call while its model answers', () => {
  it('holds no transaction: reads on the same database are served meanwhile, and the run is recorded after', async () => {
    const runsBefore = (await base.sql<{ n: number }>(sql`select count(*)::int as n from agent_runs where provider = 'anthropic'`))[0]?.n ?? 0;
    const started = Date.now();
    let agentDone = 0;
    const agent = slow.gql<{ askWorkspace: { answer: string; modelCostCents: number } }>(ASK, { q: 'Which deals are in negotiation?' }, { token: admin }).then((res) => {
      agentDone = Date.now();
      return res;
    });
    // Wait until the model has the request: the call has gathered its context and is waiting.
    const asked = fake.requests.length;
    while (fake.requests.length === asked) await new Promise((r) => setTimeout(r, 20));

    const reads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await base.gql<{ contacts: { items: unknown[] } }>(READ, {}, { token: admin });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.contacts.items).toHaveLength(5);
      reads.push(Date.now());
    }
    if (process.env.DATABASE_URL) {
      // No backend of this database sits in a transaction while the model answers.
      const idle = await base.sql<{ n: number }>(
        sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
      );
      expect(idle[0]?.n).toBe(0);
    }
    const answered = await agent;
    expect(answered.body.errors).toBeUndefined();
    expect(answered.body.data?.askWorkspace.modelCostCents).toBeGreaterThan(0);
    expect(reads.every((t) => t < agentDone)).toBe(true);
    expect(agentDone - started).toBeGreaterThanOrEqual(MODEL_DELAY_MS);
    expect((await base.sql<{ n: number }>(sql`select count(*)::int as n from agent_runs where provider = 'anthropic'`))[0]?.n).toBe(runsBefore + 1);
    expect((await base.sql<{ n: number }>(sql`select count(*)::int as n from ai_budget_reservations`))[0]?.n).toBe(0);
  }, 60_000);

  it('reserves the budget before the model is asked: of four runs at once that one run could spend, one runs and three are refused', async () => {
    // One run may spend up to 1,024 output tokens at the model's price (1.5 ¢ for claude-sonnet-4-6): more than the budget.
    await setBudget(1);
    await base.sql(sql`delete from agent_runs where provider = 'anthropic'`);
    const deniedBefore = await denied();
    try {
      const asks = await Promise.all(
        [0, 1, 2, 3].map((i) => slow.gql<{ askWorkspace: { answer: string } }>(ASK, { q: `Which deals are in negotiation? (${i})` }, { token: admin })),
      );
      const codes = asks.map((res) => (res.body.errors?.[0]?.extensions as { code?: string } | undefined)?.code ?? 'OK').sort();
      expect(codes).toEqual(['AI_BUDGET_EXCEEDED', 'AI_BUDGET_EXCEEDED', 'AI_BUDGET_EXCEEDED', 'OK']);
      const runs = await base.sql<{ n: number }>(sql`select count(*)::int as n from agent_runs where provider = 'anthropic' and outcome = 'ok'`);
      expect(runs[0]?.n).toBe(1);
      expect((await base.sql<{ n: number }>(sql`select count(*)::int as n from ai_budget_reservations`))[0]?.n).toBe(0);
      expect(await denied()).toBe(deniedBefore + 3);
    } finally {
      await setBudget(500);
    }
  }, 60_000);
});
