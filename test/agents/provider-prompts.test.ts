import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contextIds, defaultReply, startFakeModel, type FakeModel } from '../helpers/fake-model';
import { TEST_TODAY, startTestPact, type TestPact } from '../helpers/pact';
import { assertCitationsResolve, type Citation } from './helpers';

// The new prompts through an external provider (the local fake): the model phrases, while the facts
// and the citable records still come from Pact's grounded retrieval.
let base: TestPact;
let openai: TestPact;
let fake: FakeModel;
let admin: string;

beforeAll(async () => {
  fake = await startFakeModel();
  base = await startTestPact();
  openai = await startTestPact({
    database: { database: base.database, masterKey: base.masterKey, seed: base.seed },
    model: { provider: 'openai', openaiApiKey: 'sk-openai-test-secret-0123456789', openaiBaseUrl: `${fake.url}/v1`, timeoutMs: 800 },
  });
  admin = await base.signIn('admin@pact.demo');
});
afterAll(async () => {
  await openai?.close();
  await base?.close();
  await fake?.close();
});
beforeEach(() => fake.reply(defaultReply));

const demo = () => base.seed.demoTenantId;
const OPEN = sql.raw(`('prospecting', 'qualification', 'proposal', 'negotiation')`);
const FIRE = `query($agent: String!, $id: ID, $q: String) { fireAgent(agent: $agent, targetId: $id, question: $q) {
  ... on AgentRun { answer citations { kind id label } provider } } }`;
const fire = async (agent: string, id: string | null, q: string | null) => {
  const res = await openai.gql<{ fireAgent: { answer: string; citations: Citation[]; provider: string } }>(FIRE, { agent, id, q }, { token: admin });
  expect(res.body.errors).toBeUndefined();
  return res.body.data?.fireAgent as { answer: string; citations: Citation[]; provider: string };
};
const lastPrompt = () => fake.requests[fake.requests.length - 1]?.prompt ?? '';

describe('the new prompts through an external model', () => {
  it('ask_workspace sends the question with today, the time window and the deals at risk with the fact behind each reason', async () => {
    const res = await openai.gql<{ askWorkspace: { answer: string; citations: Citation[] } }>(
      '{ askWorkspace(question: "Which deals are at risk this quarter?") { answer citations { kind id label } } }',
      {},
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const prompt = lastPrompt();
    expect(prompt).toContain('QUESTION: Which deals are at risk this quarter?');
    expect(prompt).toContain(`Today is ${TEST_TODAY}.`);
    expect(prompt).toContain('closing this quarter (Q4 2026) (2026-10-01 to 2026-12-31)');
    expect(prompt).toMatch(/ranked by value at risk/);
    const sent = contextIds(prompt);
    expect(sent.length).toBeGreaterThan(0);
    // Every record sent is an open deal of the quarter, and each carries its reasons.
    for (const r of sent) {
      const [deal] = await base.sql<{ open: boolean; close_date: string }>(sql`select stage in ${OPEN} as open, close_date::text from deals where id = ${r.id}`);
      expect(deal?.open).toBe(true);
      expect(deal?.close_date ?? '').toMatch(/^2026-(10|11|12)-/);
    }
    expect(prompt).toMatch(/at risk: (its close date \d{4}-\d{2}-\d{2} passed \d+ days? ago|no activity|it closes in \d+ days?)/);
    // The model's answer is grounded: its one real citation kept, the invented one removed.
    expect(res.body.data?.askWorkspace.citations).toEqual([expect.objectContaining({ kind: sent[0]?.kind, id: sent[0]?.id })]);
    expect(res.body.data?.askWorkspace.answer).toContain('[unverified citation removed]');
  });

  it('the drafter sends the instructions and the sender; citations the model writes stay out of the e-mail and come back beside it', async () => {
    const [contact] = await base.sql<{ id: string }>(sql`select c.id from contacts c where c.tenant_id = ${demo()} and not c.consent_hidden
      and exists (select 1 from deals d where d.account_id = c.account_id and d.stage in ${OPEN} and not d.consent_hidden) order by c.id limit 1`);
    fake.reply((request) => {
      const ids = contextIds(request.prompt);
      const person = ids.find((c) => c.kind === 'contact');
      const deal = ids.find((c) => c.kind === 'deal');
      return { text: `Subject: Pricing\n\nHi {{contact_first_name}} [contact:${person?.id}], about [deal:${deal?.id}]: shall we talk pricing on Tuesday?\n\nBest,\nAdmin (Demo)` };
    });
    const run = await fire('follow-up-drafter', contact?.id ?? null, 'mention pricing, propose Tuesday');
    const prompt = lastPrompt();
    expect(prompt).toContain('QUESTION: mention pricing, propose Tuesday');
    expect(prompt).toContain("understood as: mention pricing and propose Tuesday");
    expect(prompt).toMatch(/The e-mail is sent by Admin \(Demo\) \(admin\), of Pact Demo/);
    expect(run.answer).not.toMatch(/\[(contact|deal|account):/);
    expect(run.answer).toMatch(/^Subject: Pricing\n\nHi \S+, about: shall we talk pricing on Tuesday\?/);
    expect(run.citations.map((c) => c.kind)).toEqual(['contact', 'deal']);
    expect(run.citations[0]?.id).toBe(contact?.id);
    await assertCitationsResolve(base, run.citations);
  });

  it('deal-risk sends the deals ranked by value at risk; the win-rate explainer sends no split by stage', async () => {
    await fire('deal-risk', null, null);
    const risk = lastPrompt();
    expect(risk).toMatch(/open deals at risk, worth [\d,.]+; ranked by value at risk \(amount\)/);
    const amounts = await Promise.all(
      contextIds(risk).map(async (r) => (await base.sql<{ a: number }>(sql`select amount_cents::float8 as a from deals where id = ${r.id}`))[0]?.a ?? 0),
    );
    expect(amounts).toEqual([...amounts].sort((x, y) => y - x));

    await fire('metric-explainer', null, 'Why did the win rate change?');
    const metric = lastPrompt();
    expect(metric).toContain('Contributions by owner');
    expect(metric).not.toContain('Contributions by stage');
  });

  it('account-research tells the model which open deals slipped and by how long', async () => {
    const [slipped] = await base.sql<{ account_id: string; name: string; close_date: string }>(sql`select d.account_id, d.name, d.close_date::text from deals d
      join accounts a on a.id = d.account_id where d.tenant_id = ${demo()} and not d.consent_hidden and not a.consent_hidden
        and d.stage in ${OPEN} and d.close_date < ${TEST_TODAY}::date order by d.amount_cents desc limit 1`);
    await fire('account-research', slipped?.account_id ?? null, null);
    expect(lastPrompt()).toContain(`${slipped?.name} was due ${slipped?.close_date}`);
    expect(lastPrompt()).toContain('Never add won or lost to the open pipeline.');
  });
});
