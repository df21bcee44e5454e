import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { assertCitationsResolve, type Citation } from './helpers';

let pact: TestPact;
let admin: string;
beforeAll(async () => {
  pact = await startTestPact();
  admin = await pact.signIn('admin@pact.demo');
});
afterAll(() => pact.close());

interface Answer {
  answer: string;
  citations: Citation[];
  matched: number;
  consentFiltered: number;
  note: string;
  provider: string;
  runId: string;
}

const ask = async (question: string, token = admin) => {
  const res = await pact.gql<{ askWorkspace: Answer }>(
    'query($q: String!) { askWorkspace(question: $q) { answer citations { kind id label } matched consentFiltered note provider runId } }',
    { q: question },
    { token },
  );
  expect(res.body.errors).toBeUndefined();
  return { answer: res.body.data?.askWorkspace as Answer, cost: res.body.extensions?.cost_cents as number };
};

const demo = () => pact.seed.demoTenantId;
const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe('ask_workspace on the offline provider (full-text search and structured queries)', () => {
  it('"Which deals are in negotiation?" cites the largest consented negotiation deals and counts the hidden ones', async () => {
    const { answer } = await ask('Which deals are in negotiation?');
    const visible = await pact.sql<{ id: string; name: string }>(
      sql`select id, name from deals where tenant_id = ${demo()} and stage = 'negotiation' and not consent_hidden order by amount_cents desc, id limit 5`,
    );
    const [counts] = await pact.sql<{ visible: number; hidden: number }>(
      sql`select (count(*) filter (where not consent_hidden))::int as visible, (count(*) filter (where consent_hidden))::int as hidden
          from deals where tenant_id = ${demo()} and stage = 'negotiation'`,
    );
    expect(visible.length).toBeGreaterThan(0);
    expect(answer.citations).toEqual(visible.map((d) => ({ kind: 'deal', id: d.id, label: d.name })));
    expect(answer.matched).toBe(counts?.visible);
    expect(answer.consentFiltered).toBe(counts?.hidden);
    expect(answer.note).toBe(`${counts?.hidden} record(s) hidden by consent (suppressed/withdrawn subjects).`);
    expect(answer.provider).toBe('offline');
    for (const d of visible) expect(answer.answer).toContain(`${d.name} [deal:${d.id}]`);
    await assertCitationsResolve(pact, answer.citations);
  });

  it('"Tell me about <account>" cites that account first among accounts, and its deals', async () => {
    const [account] = await pact.sql<{ id: string; name: string }>(
      sql`select id, name from accounts where tenant_id = ${demo()} and not consent_hidden and name = 'Blue Labs'`,
    );
    expect(account).toBeDefined();
    const { answer } = await ask(`Tell me about ${account?.name}`);
    const deals = await pact.sql<{ id: string }>(
      sql`select id from deals where tenant_id = ${demo()} and account_id = ${account?.id} and not consent_hidden order by amount_cents desc, id limit 5`,
    );
    expect(answer.citations.filter((c) => c.kind === 'account').map((c) => c.id)).toEqual([account?.id]);
    expect(answer.citations.filter((c) => c.kind === 'deal').map((c) => c.id)).toEqual(ids(deals));
    expect(answer.answer).toContain(`Blue Labs [account:${account?.id}]`);
    await assertCitationsResolve(pact, answer.citations);
  });

  it('"How many Healthcare accounts do we have?" counts them (consented), cites the first five and says how many consent hid', async () => {
    const { answer } = await ask('How many Healthcare accounts do we have?');
    const first = await pact.sql<{ id: string }>(
      sql`select id from accounts where tenant_id = ${demo()} and industry = 'Healthcare' and not consent_hidden order by name, id limit 5`,
    );
    const [counts] = await pact.sql<{ visible: number; hidden: number }>(
      sql`select (count(*) filter (where not consent_hidden))::int as visible, (count(*) filter (where consent_hidden))::int as hidden
          from accounts where tenant_id = ${demo()} and industry = 'Healthcare'`,
    );
    expect(answer.matched).toBe(counts?.visible);
    expect(answer.consentFiltered).toBe(counts?.hidden);
    expect(answer.citations.map((c) => c.id)).toEqual(ids(first));
    expect(answer.answer).toMatch(new RegExp(`^${counts?.visible} accounts? in Healthcare`));
    await assertCitationsResolve(pact, answer.citations);
  });

  it('a question that names nothing gets the pipeline overview with the largest open deals cited', async () => {
    const { answer } = await ask('How is our pipeline doing?');
    const top = await pact.sql<{ id: string }>(
      sql`select id from deals where tenant_id = ${demo()} and not consent_hidden and stage in ('prospecting', 'qualification', 'proposal', 'negotiation')
          order by amount_cents desc, id limit 5`,
    );
    const [hidden] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from deals where tenant_id = ${demo()} and consent_hidden`);
    expect(answer.citations.map((c) => c.id)).toEqual(ids(top));
    expect(answer.answer).toMatch(/^The open pipeline is [\d,.]+ across \d+ open deals/);
    expect(answer.consentFiltered).toBe(hidden?.n);
  });

  it('says so when nothing consented matches, citing nothing', async () => {
    const { answer } = await ask('Tell me about zebras');
    expect(answer).toMatchObject({ matched: 0, citations: [], consentFiltered: 0 });
    // It says what was searched, and does not blame consent when consent hid nothing.
    expect(answer.answer).toBe('Nothing matched: searched deals matching “zebras” and accounts matching “zebras”.');
  });

  it('never answers from a hidden account: a withdrawn domain is counted, not cited', async () => {
    const [hidden] = await pact.sql<{ id: string; name: string }>(
      sql`select a.id, a.name from accounts a join consent_subjects s on s.tenant_id = a.tenant_id and s.kind = 'domain' and s.subject_key = a.domain
          where a.tenant_id = ${demo()} and s.status = 'withdrawn' limit 1`,
    );
    const { answer } = await ask(`Tell me about ${hidden?.name}`);
    expect(answer.citations.map((c) => c.id)).not.toContain(hidden?.id);
    expect(answer.consentFiltered).toBeGreaterThan(0);
    expect(answer.answer).toMatch(/hidden by consent and (was|were) not used/);
  });

  it('stores one run per answer: the input only as an HMAC, the output in plain JSON (no PII), the citations', async () => {
    const question = 'Which deals are in proposal?';
    const { answer, cost } = await ask(question);
    expect(cost).toBe(0.5);
    const [run] = await pact.sql<{ agent: string; outcome: string; input_digest: string; output: { answer: string }; output_sealed: boolean; citations: { id: string }[]; cost: number; path: string }>(
      sql`select agent, outcome, input_digest, output, output_sealed, citations, cost_microcents::int as cost, path from agent_runs where id = ${answer.runId}`,
    );
    expect(run).toMatchObject({ agent: 'workspace-qa', outcome: 'ok', output_sealed: false, cost: 0, path: 'graphql', output: { answer: answer.answer } });
    expect(run?.input_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(run)).not.toContain(question);
    expect(run?.citations.map((c) => c.id)).toEqual(answer.citations.map((c) => c.id));
  });

  it('the other tenant asks the same question and gets only its own records', async () => {
    const globex = await pact.signIn('owner@globex.demo');
    const { answer } = await ask('Which deals are in negotiation?', globex);
    const own = await pact.sql<{ id: string }>(
      sql`select id from deals where tenant_id = ${pact.seed.secondTenantId} and stage = 'negotiation' and not consent_hidden order by amount_cents desc, id limit 5`,
    );
    expect(answer.citations.map((c) => c.id)).toEqual(ids(own));
    await assertCitationsResolve(pact, answer.citations, pact.seed.secondTenantId);
  });

  it('refuses an empty or oversized question with BAD_USER_INPUT', async () => {
    for (const q of ['   ', 'x'.repeat(1001)]) {
      const res = await pact.gql('query($q: String!) { askWorkspace(question: $q) { answer } }', { q }, { token: admin });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
