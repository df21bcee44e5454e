import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
/** Erasure is owner/admin only, so erasures go through an admin's session. */
let adminSession: string;
beforeAll(async () => {
  // Every page of every list in every round is a call: far more than the lists' 60 per minute.
  pact = await startTestPact({ limits: { fieldPerMin: { contacts: 10_000, accounts: 10_000, deals: 10_000, pipelineHealth: 10_000 } } });
  adminSession = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(adminSession, ['read:accounts', 'read:contacts', 'read:deals', 'write:crm', 'write:consent']);
});
afterAll(() => pact.close());

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = async (query: string, variables: Record<string, unknown> = {}): Promise<Data> => {
  const res = await pact.gql<Data>(query, variables, { token: key });
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data as Data;
};

/** A small deterministic PRNG so a failure can be replayed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
}

/** Walks every page of a list and returns the ids and the consentFiltered of each page. */
async function walk(field: string, args: string, pageSize: number) {
  const ids: string[] = [];
  const counts = new Set<number>();
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages += 1) {
    const data: Data = await call(`query($a: String) { ${field}(first: ${pageSize}, after: $a${args ? `, ${args}` : ''}) { returned consentFiltered nextCursor items { id } } }`, { a: after });
    const list = data[field];
    expect(list.returned).toBe(list.items.length);
    ids.push(...list.items.map((i: { id: string }) => i.id));
    counts.add(list.consentFiltered);
    after = list.nextCursor;
    if (!after) break;
  }
  return { ids, counts };
}

/** The truth, computed by joining consent_subjects directly (not through the maintained flags). */
async function truth(table: 'contacts' | 'accounts' | 'deals', where: string) {
  const join =
    table === 'contacts'
      ? `left join consent_subjects cs on cs.tenant_id = r.tenant_id and cs.kind = 'email' and cs.subject_key = r.email_index`
      : table === 'accounts'
        ? `left join consent_subjects cs on cs.tenant_id = r.tenant_id and cs.kind = 'domain' and cs.subject_key = r.domain`
        : `join accounts a on a.id = r.account_id left join consent_subjects cs on cs.tenant_id = a.tenant_id and cs.kind = 'domain' and cs.subject_key = a.domain`;
  const rows = await pact.sql<{ id: string; hidden: boolean }>(
    sql.raw(`select r.id, coalesce(cs.status <> 'granted', false) as hidden from ${table} r ${join}
      where r.tenant_id = '${pact.seed.demoTenantId}' ${where} order by r.id`),
  );
  return { visible: rows.filter((r) => !r.hidden).map((r) => r.id), hidden: rows.filter((r) => r.hidden).length };
}

describe('consent counts are exact (random subjects × statuses × query kinds)', () => {
  it('matches the truth after every round of random consent changes, for every list and page size', async () => {
    const random = rng(20261122);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const accounts = await pact.sql<{ id: string; domain: string }>(sql`select id, domain from accounts where tenant_id = ${pact.seed.demoTenantId} order by id`);
    const account = accounts[0] as { id: string; domain: string };
    const emails = Array.from({ length: 6 }, (_, i) => `person${i}@prop.example`);
    for (let i = 0; i < 18; i += 1) {
      await call('mutation($e: String, $a: ID) { createContact(input: { name: "Prop Person", email: $e, title: "Prop", accountId: $a }) { id } }', {
        e: pick(emails),
        a: i % 3 === 0 ? account.id : null,
      });
    }
    const statuses = ['suppressConsent', 'withdrawConsent', 'grantConsent', 'eraseConsent'] as const;
    const queries: { field: 'contacts' | 'accounts' | 'deals'; args: string; where: string }[] = [
      { field: 'contacts', args: '', where: '' },
      { field: 'contacts', args: 'filter: { search: "Prop" }', where: "and r.title ilike '%Prop%'" },
      { field: 'contacts', args: `filter: { accountId: "${account.id}" }`, where: `and r.account_id = '${account.id}'` },
      { field: 'accounts', args: '', where: '' },
      { field: 'accounts', args: 'filter: { industry: "Software" }', where: "and r.industry = 'Software'" },
      { field: 'deals', args: '', where: '' },
      { field: 'deals', args: 'filter: { stage: PROPOSAL }', where: "and r.stage = 'proposal'" },
    ];
    for (let round = 0; round < 6; round += 1) {
      for (let change = 0; change < 4; change += 1) {
        const mutation = pick(statuses);
        const subject = random() < 0.6 ? { kind: 'EMAIL', value: pick(emails) } : { kind: 'DOMAIN', value: pick(accounts).domain };
        if (mutation === 'eraseConsent' && random() < 0.5) continue;
        const res = await pact.gql(`mutation($s: ConsentSubjectInput!) { ${mutation}(subject: $s) { status } }`, { s: subject }, { token: mutation === 'eraseConsent' ? adminSession : key });
        expect(res.body.errors?.[0]?.extensions?.code ?? 'ok', JSON.stringify(subject)).toMatch(/^(ok|CONFLICT)$/);
      }
      for (const q of queries) {
        const expected = await truth(q.field, q.where);
        const got = await walk(q.field, q.args, 1 + Math.floor(random() * 9));
        expect(got.ids, `${q.field} ${q.args} round ${round}`).toEqual(expected.visible);
        expect([...got.counts], `${q.field} ${q.args} round ${round}`).toEqual([expected.hidden]);
      }
      const health = (await call('{ pipelineHealth { consentFiltered openDeals wonDeals lostDeals } }')).pipelineHealth;
      const deals = await truth('deals', '');
      expect(health.consentFiltered).toBe(deals.hidden);
      expect(health.openDeals + health.wonDeals + health.lostDeals).toBe(deals.visible.length);
    }
  }, 120_000);

  it('a hidden record is not found by id, and found again once granted', async () => {
    const created = (await call('mutation { createAccount(input: { name: "Lookup Co", domain: "lookup-co.example" }) { id } }')).createAccount;
    const deal = (await call('mutation($a: ID) { createDeal(input: { name: "Lookup deal", accountId: $a, amount: 10 }) { id } }', { a: created.id })).createDeal;
    await call('mutation { suppressConsent(subject: { kind: DOMAIN, value: "lookup-co.example" }) { status } }');
    expect((await call('query($id: ID!) { account(id: $id) { id } }', { id: created.id })).account).toBeNull();
    expect((await call('query($id: ID!) { deal(id: $id) { id } }', { id: deal.id })).deal).toBeNull();
    await call('mutation { grantConsent(subject: { kind: DOMAIN, value: "lookup-co.example" }) { status } }');
    expect((await call('query($id: ID!) { deal(id: $id) { id } }', { id: deal.id })).deal).toEqual({ id: deal.id });
  });
});
