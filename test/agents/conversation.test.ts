import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { assertCitationsResolve, type Citation } from './helpers';

/** ask_workspace across several questions (`followUpOf`), and people named in questions. */
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
  consentFiltered: number;
  runId: string;
}
type Res = Awaited<ReturnType<TestPact['gql']>>;

const ASK = 'query($q: String!, $f: ID) { askWorkspace(question: $q, followUpOf: $f) { answer citations { kind id label } consentFiltered runId } }';
const raw = (question: string, followUpOf: string | null, token = admin): Promise<Res> => pact.gql(ASK, { q: question, f: followUpOf }, { token });
async function ask(question: string, followUpOf: string | null = null, token = admin): Promise<{ answer: Answer; cost: number }> {
  const res = await raw(question, followUpOf, token);
  expect(res.body.errors).toBeUndefined();
  const answer = (res.body.data as { askWorkspace: Answer }).askWorkspace;
  await assertCitationsResolve(pact, answer.citations);
  return { answer, cost: res.body.extensions?.cost_cents as number };
}

const demo = () => pact.seed.demoTenantId;
const OPEN = sql.raw(`('prospecting', 'qualification', 'proposal', 'negotiation')`);

/** Consented accounts with open deals (none of them named like another), largest open value first. */
async function accountsWithOpenDeals(): Promise<{ id: string; name: string; domain: string }[]> {
  return pact.sql(sql`select a.id, a.name, a.domain from accounts a where a.tenant_id = ${demo()} and not a.consent_hidden and a.name not like '% %0%'
    and exists (select 1 from deals d where d.account_id = a.id and d.stage in ${OPEN} and not d.consent_hidden)
    order by (select sum(amount_cents) from deals d where d.account_id = a.id and d.stage in ${OPEN}) desc, a.id limit 3`);
}
const openDeals = async (accountId: string) =>
  (await pact.sql<{ id: string }>(sql`select id from deals where account_id = ${accountId} and stage in ${OPEN} and not consent_hidden order by amount_cents desc, id limit 5`)).map((r) => r.id);
const ledgerRows = async () => (await pact.sql<{ n: number }>(sql`select count(*)::int as n from usage_ledger where tenant_id = ${demo()}`))[0]?.n ?? 0;

describe('follow-ups (followUpOf)', () => {
  it('a question that refers back is about the earlier answer’s account; naming another account switches focus', async () => {
    const [first, second] = await accountsWithOpenDeals();
    if (!first || !second) throw new Error('the test seed needs two accounts with open deals');
    const opening = await ask(`What is happening with ${first.name}?`);
    expect(opening.answer.citations[0]).toMatchObject({ kind: 'account', id: first.id });
    const [stored] = await pact.sql<{ output: { focus: unknown } }>(sql`select output from agent_runs where id = ${opening.answer.runId}`);
    expect(stored?.output.focus).toEqual({ accountId: first.id, contactId: null });

    const deals = await ask('what about their open deals?', opening.answer.runId);
    expect(deals.cost).toBe(0.5);
    expect(deals.answer.citations.map((c) => c.id)).toEqual(await openDeals(first.id));
    expect(deals.answer.answer).toMatch(new RegExp(`^\\d+ open deals? of ${first.name}: `));

    const switched = await ask(`what about ${second.name}?`, deals.answer.runId);
    expect(switched.answer.citations[0]).toMatchObject({ kind: 'account', id: second.id });
    expect(switched.answer.citations.map((c) => c.id)).not.toContain(first.id);
    const again = await ask('and their open deals?', switched.answer.runId);
    expect(again.answer.citations.map((c) => c.id)).toEqual(await openDeals(second.id));

    // Without followUpOf the same words are a question about the whole workspace.
    const alone = await ask('what about their open deals?');
    expect(alone.answer.answer).not.toMatch(/open deals? of /);
  });

  it('another caller’s run, an unknown run or a malformed id is refused before anything is read, and nothing is charged', async () => {
    const mine = await ask('Which deals are in negotiation?');
    const member = await pact.signIn('member@pact.demo');
    const key = await pact.mintKey(admin, ['read:accounts', 'read:deals']);
    const before = await ledgerRows();
    for (const [token, id] of [
      [member, mine.answer.runId],
      [key, mine.answer.runId],
      [admin, '01a24943-2c85-743c-a182-342ddd06cf27'],
    ] as const) {
      const res = await raw('what about their open deals?', id, token);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'followUpOf' });
      expect(res.body.extensions?.cost_cents ?? 0).toBe(0);
    }
    const bad = await raw('and them?', 'not-a-run');
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ID', field: 'followUpOf' });
    expect(await ledgerRows()).toBe(before);
    const audited = await pact.sql<{ outcome: string; cost: number }>(
      sql`select outcome, cost_microcents::int as cost from audit_log where tenant_id = ${demo()} and operation = 'askWorkspace' order by seq desc limit 4`,
    );
    expect(audited).toEqual(Array.from({ length: 4 }, () => ({ outcome: 'error', cost: 0 })));
    // The key continues its own conversation.
    const own = await ask('Which deals are in proposal?', null, key);
    expect((await ask('and the largest?', own.answer.runId, key)).cost).toBe(0.5);
  });
});

describe('people named in questions (blind index of name words, consent-gated)', () => {
  let target: { id: string; accountId: string; dealId: string; day: string };
  beforeAll(async () => {
    const [account] = await accountsWithOpenDeals();
    const [deal] = await openDeals(account?.id ?? '');
    const made = await pact.gql<{ createContact: { id: string } }>(
      'mutation($a: ID) { createContact(input: { name: "Evelyn Quarterman", email: "evelyn.q@example.org", title: "Head of Evaluation", accountId: $a }) { id } }',
      { a: account?.id },
      { token: admin },
    );
    const id = made.body.data?.createContact.id as string;
    const logged = await pact.gql(
      'mutation($a: ID, $c: ID, $d: ID) { createActivity(input: { kind: CALL, subject: "Pricing call", accountId: $a, contactId: $c, dealId: $d, occurredAt: "2026-11-12T10:00:00Z" }) { id } }',
      { a: account?.id, c: id, d: deal },
      { token: admin },
    );
    expect(logged.body.errors).toBeUndefined();
    target = { id, accountId: account?.id as string, dealId: deal as string, day: '2026-11-12' };
  });

  it('"What’s the latest with <first last>?" cites the contact by id and title, never writes the name, and the run stores no name', async () => {
    const { answer } = await ask("What's the latest with Evelyn Quarterman?");
    expect(answer.citations.slice(0, 2)).toEqual([
      { kind: 'contact', id: target.id, label: 'Head of Evaluation' },
      { kind: 'account', id: target.accountId, label: expect.any(String) },
    ]);
    expect(answer.answer).toContain(`the latest activity with them: a call on ${target.day} about`);
    expect(answer.answer).toContain(`[deal:${target.dealId}]`);
    const [run] = await pact.sql<{ output: unknown }>(sql`select output from agent_runs where id = ${answer.runId}`);
    for (const text of [answer.answer, JSON.stringify(run)]) expect(text).not.toMatch(/evelyn|quarterman/i);
    expect((run?.output as { focus: unknown }).focus).toEqual({ accountId: target.accountId, contactId: target.id });

    const involved = await ask('Which deals is evelyn quarterman involved in?');
    expect(involved.answer.answer).toMatch(new RegExp(`Deals they were involved in \\(activity logged with them\\): [^.]*\\[deal:${target.dealId}\\]`));
    // A follow-up about "her" stays on the person; "there" is the account.
    const who = await ask('and who did we last talk to there?', involved.answer.runId);
    expect(who.answer.answer).toContain(`the Head of Evaluation [contact:${target.id}], a call on ${target.day}`);
  });

  it('without read:contacts no name is matched: the answer is the unknown name’s', async () => {
    const key = await pact.mintKey(admin, ['read:accounts', 'read:deals']);
    const { answer } = await ask("What's the latest with Evelyn Quarterman?", null, key);
    expect(answer.citations.filter((c) => c.kind === 'contact')).toEqual([]);
    expect(answer.answer).toBe('Nothing matched: searched deals matching “evelyn quarterman” and accounts matching “evelyn quarterman”.');
  });

  it('a withdrawn contact’s name answers as an unknown name; only a caller who may read consent records learns a match was hidden', async () => {
    await pact.gql('mutation { createContact(input: { name: "Perpetua Winterbourne", email: "perpetua.w@example.org", title: "Head of Legal" }) { id } }', {}, { token: admin });
    const withdrawn = await pact.gql('mutation { withdrawConsent(subject: { kind: EMAIL, value: "perpetua.w@example.org" }) { status } }', {}, { token: admin });
    expect(withdrawn.body.errors).toBeUndefined();
    const reader = await pact.mintKey(admin, ['read:accounts', 'read:deals', 'read:contacts']);
    const asked = await ask("What's the latest with Perpetua Winterbourne?", null, reader);
    const unknown = await ask("What's the latest with Quinn Zabriskie?", null, reader);
    expect(asked.answer.answer).toBe('Nothing matched: searched deals matching “perpetua winterbourne” and accounts matching “perpetua winterbourne”.');
    expect(unknown.answer.answer).toBe('Nothing matched: searched deals matching “quinn zabriskie” and accounts matching “quinn zabriskie”.');
    for (const a of [asked, unknown]) expect(a.answer).toMatchObject({ citations: [], consentFiltered: 0 });
    expect(asked.cost).toBe(unknown.cost);

    const { answer } = await ask("What's the latest with Perpetua Winterbourne?");
    expect(answer).toMatchObject({ citations: [], consentFiltered: 1 });
    expect(answer.answer).toMatch(/1 matching record is hidden by consent and was not used\.$/);
  });
});

describe('a follow-up whose account was withdrawn since', () => {
  it('says the account is hidden by consent now, uses nothing of it, and is charged like any read', async () => {
    const [, , third] = await accountsWithOpenDeals();
    if (!third) throw new Error('the test seed needs three accounts with open deals');
    const opening = await ask(`Tell me about ${third.name}`);
    const res = await pact.gql('mutation($v: String!) { withdrawConsent(subject: { kind: DOMAIN, value: $v }) { status } }', { v: third.domain }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const { answer, cost } = await ask('what about their open deals?', opening.answer.runId);
    expect(answer).toMatchObject({ citations: [], consentFiltered: 1 });
    expect(answer.answer).toBe('The account this conversation was about has been hidden by consent since the earlier answer (its consent was withdrawn), so nothing about it was used.');
    expect(answer.answer).not.toContain(third.name);
    expect(cost).toBe(0.5);
  });
});
