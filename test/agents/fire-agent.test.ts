import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids';
import { startTestPact, type TestPact } from '../helpers/pact';
import { assertCitationsResolve, inlineCitations, type Citation } from './helpers';

let pact: TestPact;
let admin: string;
beforeAll(async () => {
  pact = await startTestPact();
  admin = await pact.signIn('admin@pact.demo');
});
afterAll(() => pact.close());

const FIRE = `query($agent: String!, $id: ID, $email: String, $q: String) {
  fireAgent(agent: $agent, targetId: $id, targetEmail: $email, question: $q) {
    __typename
    ... on AgentRun { blocked agent runId target { kind id } answer citations { kind id label } consentFiltered note provider modelCostCents }
    ... on AgentBlocked { blocked reason agent runId target { kind id } }
  }
}`;

interface Fired {
  __typename: 'AgentRun' | 'AgentBlocked';
  blocked: boolean;
  agent: string;
  runId: string;
  target: { kind: string; id: string } | null;
  answer?: string;
  citations?: Citation[];
  reason?: string;
  consentFiltered?: number;
}

const fire = async (agent: string, args: { id?: string | null; email?: string; q?: string } = {}, token = admin) => {
  const res = await pact.gql<{ fireAgent: Fired }>(FIRE, { agent, ...args }, { token });
  return { result: res.body.data?.fireAgent, errors: res.body.errors, cost: res.body.extensions?.cost_cents as number | undefined };
};

const demo = () => pact.seed.demoTenantId;
const lastAudit = async () =>
  (
    await pact.sql<{ id: string; outcome: string; error_code: string | null; cost: number; consent_hidden: number; operation: string }>(
      sql`select id, outcome, error_code, cost_microcents::int as cost, consent_hidden, operation from audit_log where tenant_id = ${demo()} order by seq desc limit 1`,
    )
  )[0];

/** A seeded record of the demo tenant whose consent subject has `status` (contacts by e-mail, accounts and deals by domain). */
async function seeded(kind: 'contact' | 'account' | 'deal', status: string): Promise<string> {
  const query =
    kind === 'contact'
      ? sql`select c.id from contacts c join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
            where c.tenant_id = ${demo()} and s.status = ${status} order by c.id limit 1`
      : kind === 'account'
        ? sql`select a.id from accounts a join consent_subjects s on s.tenant_id = a.tenant_id and s.kind = 'domain' and s.subject_key = a.domain
              where a.tenant_id = ${demo()} and s.status = ${status} order by a.id limit 1`
        : sql`select d.id from deals d join accounts a on a.id = d.account_id join consent_subjects s on s.tenant_id = a.tenant_id and s.kind = 'domain' and s.subject_key = a.domain
              where d.tenant_id = ${demo()} and s.status = ${status} order by d.id limit 1`;
  const [row] = await pact.sql<{ id: string }>(query);
  if (row) return row.id;
  if (kind !== 'deal') throw new Error(`no seeded ${kind} with consent ${status}`);
  // The small seed gave this account no deal: add one (the trigger hides it with its account).
  const id = newId();
  await pact.sql(sql`insert into deals (id, tenant_id, account_id, name, stage, amount_cents, probability)
    values (${id}, ${demo()}, ${await seeded('account', status)}, 'Hidden deal', 'proposal', 100000, 50)`);
  return id;
}

async function visible(kind: 'contact' | 'account' | 'deal', extra = sql``): Promise<string> {
  const table = sql.raw(`${kind}s`);
  const [row] = await pact.sql<{ id: string }>(sql`select id from ${table} where tenant_id = ${demo()} and not consent_hidden ${extra} order by id limit 1`);
  if (!row) throw new Error(`no visible ${kind}`);
  return row.id;
}

describe('list_agents', () => {
  it('shows at least six agents with id, purpose and whether each reads PII', async () => {
    const res = await pact.gql<{ agents: { items: { id: string; purpose: string; readsPii: boolean; target: string | null }[]; provider: string } }>(
      '{ agents { items { id purpose readsPii target } provider } }',
      {},
      { token: admin },
    );
    const items = res.body.data?.agents.items ?? [];
    expect(items.length).toBeGreaterThanOrEqual(6);
    expect(Object.fromEntries(items.map((a) => [a.id, a.readsPii]))).toEqual({
      'metric-explainer': false,
      'workspace-qa': false,
      'daily-briefing': false,
      'deal-risk': false,
      'account-research': false,
      'contact-summary': true,
      'follow-up-drafter': true,
    });
    for (const a of items) expect(a.purpose.length).toBeGreaterThan(20);
    expect(res.body.data?.agents.provider).toBe('offline');
  });
});

describe('fire_agent runs each agent on the seeded data', () => {
  it('account-research on a consented account', async () => {
    const id = await visible('account');
    const { result, cost } = await fire('account-research', { id });
    expect(result).toMatchObject({ __typename: 'AgentRun', blocked: false, agent: 'account-research', target: { kind: 'account', id }, provider: 'offline' });
    expect(result?.citations?.[0]).toMatchObject({ kind: 'account', id });
    expect(inlineCitations(result?.answer ?? '')).toEqual(expect.arrayContaining(result?.citations?.map(({ kind, id: cid }) => ({ kind, id: cid })) ?? []));
    await assertCitationsResolve(pact, result?.citations ?? []);
    expect(cost).toBe(1);
  });

  it('deal-risk on a deal, and on the caller’s own open deals', async () => {
    const id = await visible('deal', sql`and stage = 'qualification'`);
    const one = await fire('deal-risk', { id });
    expect(one.result).toMatchObject({ blocked: false, target: { kind: 'deal', id } });
    expect(one.result?.answer).toMatch(/Risk: (high|medium|low)\./);
    expect(one.result?.citations?.map((c) => c.id)).toEqual([id]);
    const mine = await fire('deal-risk');
    expect(mine.result?.answer).toMatch(/Admin \(Demo\)'s open deals (is|are) at risk|None of Admin/);
    const [{ owner } = { owner: '' }] = await pact.sql<{ owner: string }>(sql`select id as owner from users where email = 'admin@pact.demo'`);
    for (const c of mine.result?.citations ?? []) {
      const [deal] = await pact.sql<{ owner_id: string }>(sql`select owner_id from deals where id = ${c.id}`);
      expect(deal?.owner_id).toBe(owner);
    }
    await assertCitationsResolve(pact, [...(one.result?.citations ?? []), ...(mine.result?.citations ?? [])]);
  });

  it('contact-summary reads the contact’s PII (after the gate) and stores the output sealed', async () => {
    const id = await visible('contact', sql`and account_id is not null`);
    const contact = await pact.gql<{ contact: { name: string; email: string } }>('query($id: ID!) { contact(id: $id) { name email } }', { id }, { token: admin });
    const { name, email } = contact.body.data?.contact ?? { name: '', email: '' };
    const { result } = await fire('contact-summary', { id });
    expect(result?.answer).toContain(name);
    expect(result?.answer).toContain(email);
    expect(result?.citations?.[0]).toMatchObject({ kind: 'contact', id });
    expect(JSON.stringify(result?.citations)).not.toContain(name);
    const [run] = await pact.sql<{ output: unknown; output_sealed: boolean }>(sql`select output, output_sealed from agent_runs where id = ${result?.runId}`);
    expect(run?.output_sealed).toBe(true);
    expect(run?.output).toMatchObject({ sealed: 'pact:v1' });
    expect(JSON.stringify(run?.output)).not.toContain(email);
    await assertCitationsResolve(pact, result?.citations ?? []);
  });

  it('contact agents take the contact by e-mail too', async () => {
    const contact = await pact.gql<{ contacts: { items: { id: string; email: string }[] } }>('{ contacts(first: 1) { items { id email } } }', {}, { token: admin });
    const first = contact.body.data?.contacts.items[0];
    const { result } = await fire('follow-up-drafter', { email: first?.email.toUpperCase() });
    expect(result).toMatchObject({ blocked: false, target: { kind: 'contact', id: first?.id } });
    expect(result?.answer).toMatch(/^To: .+@.+\nSubject: /);
  });

  it('metric-explainer, workspace-qa and daily-briefing take no target', async () => {
    const metric = await fire('metric-explainer', { q: 'Why did the win rate change between 2026-07-01 and 2026-12-31 versus 2026-01-01 and 2026-06-30?' });
    expect(metric.result?.answer).toMatch(/^Win rate (rose|fell|held) from .* \(2026-01-01 to 2026-06-30\) to .* \(2026-07-01 to 2026-12-31\)/);
    const qa = await fire('workspace-qa', { q: 'Which deals are in negotiation?' });
    expect(qa.result?.answer).toMatch(/deals? in negotiation/);
    const briefing = await fire('daily-briefing');
    expect(briefing.result?.answer).toMatch(/^Daily briefing for Admin \(Demo\) on \d{4}-\d{2}-\d{2}\./);
    for (const r of [metric, qa, briefing]) await assertCitationsResolve(pact, r.result?.citations ?? []);
    const refused = await fire('daily-briefing', { id: await visible('deal') });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: 'daily-briefing takes no target: it works on the whole workspace.' });
  });
});

describe('fire_agent and consent', () => {
  it.each(['withdrawn', 'suppressed'] as const)('a PII agent on a %s contact answers the blocked shape, audited as blocked, nothing charged, no PII read', async (status) => {
    const id = await seeded('contact', status);
    const { result, cost } = await fire('contact-summary', { id });
    expect(result).toEqual({ __typename: 'AgentBlocked', blocked: true, reason: `consent_${status}`, agent: 'contact-summary', runId: expect.any(String), target: { kind: 'contact', id } });
    expect(cost).toBe(0);
    const audit = await lastAudit();
    expect(audit).toMatchObject({ outcome: 'blocked', error_code: `consent_${status}`, cost: 0, consent_hidden: 1, operation: 'fireAgent' });
    expect(await pact.sql(sql`select 1 from usage_ledger where audit_id = ${audit?.id}`)).toEqual([]);
    const [run] = await pact.sql<{ outcome: string; reason: string; output: unknown; target_id: string; cost: number }>(
      sql`select outcome, reason, output, target_id, cost_microcents::int as cost from agent_runs where id = ${result?.runId}`,
    );
    expect(run).toEqual({ outcome: 'blocked', reason: `consent_${status}`, output: null, target_id: id, cost: 0 });
  });

  it.each(['withdrawn', 'suppressed', 'erased'] as const)('agents on an account (and its deals) whose domain is %s are blocked too', async (status) => {
    const account = await fire('account-research', { id: await seeded('account', status) });
    expect(account.result).toMatchObject({ blocked: true, reason: `consent_${status}` });
    const deal = await fire('deal-risk', { id: await seeded('deal', status) });
    expect(deal.result).toMatchObject({ blocked: true, reason: `consent_${status}` });
  });

  it('a contact deleted by erasure answers consent_erased by its id (a tombstone keeps only ids), and by its erased subject id', async () => {
    const [tomb] = await pact.sql<{ contact_id: string; subject_id: string }>(sql`select contact_id, subject_id from erased_contacts where tenant_id = ${demo()} limit 1`);
    expect(tomb).toBeDefined();
    expect(await pact.sql(sql`select 1 from contacts where id = ${tomb?.contact_id}`)).toEqual([]);
    for (const agent of ['contact-summary', 'follow-up-drafter']) {
      const byId = await fire(agent, { id: tomb?.contact_id });
      expect(byId.result).toMatchObject({ blocked: true, reason: 'consent_erased', target: { kind: 'contact', id: tomb?.contact_id } });
    }
    const bySubject = await fire('contact-summary', { id: tomb?.subject_id });
    expect(bySubject.result).toMatchObject({ blocked: true, reason: 'consent_erased', target: null });
  });

  it('erasing an e-mail now: by the old id consent_erased, by the address NOT_FOUND (nothing derived from it is kept)', async () => {
    const res = await pact.gql<{ contacts: { items: { id: string; email: string }[] } }>('{ contacts(first: 3) { items { id email } } }', {}, { token: admin });
    const victim = res.body.data?.contacts.items[2];
    const before = await fire('contact-summary', { email: victim?.email });
    expect(before.result?.blocked).toBe(false);
    await pact.gql('mutation($e: String!) { eraseConsent(subject: { kind: EMAIL, value: $e }) { status erasedRecords } }', { e: victim?.email }, { token: admin });
    const byId = await fire('contact-summary', { id: victim?.id });
    expect(byId.result).toMatchObject({ blocked: true, reason: 'consent_erased' });
    const byEmail = await fire('contact-summary', { email: victim?.email });
    expect(byEmail.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' }, message: 'No contact with this e-mail address in this workspace.' });
    const [tomb] = await pact.sql<Record<string, unknown>>(sql`select * from erased_contacts where contact_id = ${victim?.id}`);
    expect(Object.keys(tomb ?? {}).sort()).toEqual(['contact_id', 'erased_at', 'subject_id', 'tenant_id']);
  });

  it('a withdrawn contact by e-mail is blocked as well', async () => {
    const email = 'withdrawn.person@blocked.example';
    // A fresh contact whose e-mail is then withdrawn.
    const created = await pact.gql<{ createContact: { id: string } }>('mutation($e: String!) { createContact(input: { name: "Wanda Withdrawn", email: $e }) { id } }', { e: email }, { token: admin });
    await pact.gql('mutation($e: String!) { withdrawConsent(subject: { kind: EMAIL, value: $e }) { status } }', { e: email }, { token: admin });
    const { result } = await fire('follow-up-drafter', { email });
    expect(result).toMatchObject({ blocked: true, reason: 'consent_withdrawn', target: { kind: 'contact', id: created.body.data?.createContact.id } });
  });
});

describe('fire_agent input errors', () => {
  it.each([
    [{ agent: 'no-such-agent' }, 'BAD_USER_INPUT', /^Unknown agent 'no-such-agent'\. Agents: metric-explainer, /],
    [{ agent: 'workspace-qa' }, 'BAD_USER_INPUT', /question` is required/],
    [{ agent: 'contact-summary' }, 'BAD_USER_INPUT', /contact-summary needs a target/],
    [{ agent: 'contact-summary', id: 'not-an-id' }, 'INVALID_ID', /target_id/],
    [{ agent: 'account-research', email: 'a@b.example' }, 'BAD_USER_INPUT', /target_email` names a contact/],
    [{ agent: 'contact-summary', id: '01234567-89ab-7def-8123-456789abcdef' }, 'NOT_FOUND', /^No record with this id in this workspace\.$/],
  ])('%j answers %s', async (input, code, message) => {
    const { agent, ...rest } = input as { agent: string; id?: string; email?: string };
    const { errors } = await fire(agent, rest);
    expect(errors?.[0]?.extensions?.code).toBe(code);
    expect(errors?.[0]?.message).toMatch(message);
    expect((await lastAudit())?.outcome).toBe('error');
  });

  it('an agent given a record of another kind says which it needs', async () => {
    const { errors } = await fire('contact-summary', { id: await visible('deal') });
    expect(errors?.[0]?.message).toBe('contact-summary runs on a contact, and this target is a deal.');
  });

  it("another tenant's record answers exactly like one that does not exist", async () => {
    const [foreign] = await pact.sql<{ id: string }>(sql`select id from contacts where tenant_id = ${pact.seed.secondTenantId} limit 1`);
    const { errors } = await fire('contact-summary', { id: foreign?.id });
    expect(errors?.[0]).toMatchObject({ message: 'No record with this id in this workspace.', extensions: { code: 'NOT_FOUND' } });
  });
});

describe('cost', () => {
  it('every call echoes what the ledger holds for it (offline: the tool cost only; blocked and failed: nothing)', async () => {
    const calls: { cost: number }[] = [];
    const [start] = await pact.sql<{ seq: number }>(sql`select coalesce(max(seq), 0)::int as seq from audit_log where tenant_id = ${demo()}`);
    for (const args of [
      ['account-research', { id: await visible('account') }],
      ['contact-summary', { id: await seeded('contact', 'withdrawn') }],
      ['workspace-qa', {}],
      ['daily-briefing', {}],
    ] as const) {
      const { cost } = await fire(args[0], args[1]);
      calls.push({ cost: cost ?? 0 });
    }
    const [ledger] = await pact.sql<{ total: number }>(sql`
      select coalesce(sum(l.cost_microcents), 0)::int as total from usage_ledger l join audit_log a on a.id = l.audit_id
      where a.tenant_id = ${demo()} and a.seq > ${start?.seq}`);
    expect(calls.map((c) => c.cost)).toEqual([1, 0, 0, 1]);
    expect(ledger?.total).toBe(calls.reduce((s, c) => s + c.cost * 1_000_000, 0));
  });
});
