import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SIZE, startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:contacts', 'read:deals', 'write:crm', 'write:consent']);
});
afterAll(() => pact.close());

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = async (query: string, variables: Record<string, unknown> = {}) => {
  const res = await pact.gql<Data>(query, variables, { token: key });
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data as Data;
};

describe('accounts, contacts, deals and activities', () => {
  it('creates and updates an account, then finds it by search and id', async () => {
    const created = await call('mutation { createAccount(input: { name: "Initech", domain: "WWW.Initech.example", industry: "Software", employeeCount: 120 }) { id name domain industry employeeCount } }');
    expect(created.createAccount).toMatchObject({ name: 'Initech', domain: 'initech.example', industry: 'Software', employeeCount: 120 });
    const id = created.createAccount.id as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    const updated = await call('mutation($id: ID!) { updateAccount(id: $id, input: { industry: "Finance" }) { industry name } }', { id });
    expect(updated.updateAccount).toEqual({ industry: 'Finance', name: 'Initech' });
    const found = await call('{ accounts(filter: { search: "initech" }) { returned items { id } } }');
    expect(found.accounts).toEqual({ returned: 1, items: [{ id }] });
    expect((await call('query($id: ID!) { account(id: $id) { name } }', { id })).account).toEqual({ name: 'Initech' });
  });

  it('stores contact PII only as ciphertext and reads it back through the tenant key', async () => {
    const [account] = await pact.sql<{ id: string }>(sql`select id from accounts where tenant_id = ${pact.seed.demoTenantId} limit 1`);
    const created = await call(
      'mutation($a: ID) { createContact(input: { name: "Canary Person", email: "Canary.Person@Initech.example", phone: "+1 555 010 9999", title: "Buyer", accountId: $a }) { id name email phone title accountId } }',
      { a: account?.id },
    );
    const contact = created.createContact;
    expect(contact).toMatchObject({ name: 'Canary Person', email: 'canary.person@initech.example', phone: '+1 555 010 9999', title: 'Buyer', accountId: account?.id });
    const [row] = await pact.sql<Record<string, unknown>>(sql`select * from contacts where id = ${contact.id}`);
    const stored = JSON.stringify(row, (_, v) => (v && typeof v === 'object' && 'type' in v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
    for (const plain of ['Canary', 'canary.person', '010 9999']) expect(stored).not.toContain(plain);
    const byEmail = await call('{ contacts(filter: { email: "CANARY.PERSON@initech.example" }) { returned items { id name } } }');
    expect(byEmail.contacts).toEqual({ returned: 1, items: [{ id: contact.id, name: 'Canary Person' }] });
    const renamed = await call('mutation($id: ID!) { updateContact(id: $id, input: { phone: null, title: "Head of Buying" }) { name email phone title } }', { id: contact.id });
    expect(renamed.updateContact).toEqual({ name: 'Canary Person', email: 'canary.person@initech.example', phone: null, title: 'Head of Buying' });
  });

  it('creates a deal with the stage default probability and logs an activity on it', async () => {
    const [account] = await pact.sql<{ id: string; name: string }>(sql`
      select a.id, a.name from accounts a left join consent_subjects cs on cs.tenant_id = a.tenant_id and cs.kind = 'domain' and cs.subject_key = a.domain
      where a.tenant_id = ${pact.seed.demoTenantId} and cs.id is null limit 1`);
    const deal = (await call('mutation($a: ID) { createDeal(input: { name: "Big one", accountId: $a, amount: 12345.67, stage: PROPOSAL, closeDate: "2026-12-31" }) { id stage amount probability closeDate accountName } }', { a: account?.id })).createDeal;
    expect(deal).toMatchObject({ stage: 'PROPOSAL', amount: 12345.67, probability: 50, closeDate: '2026-12-31', accountName: account?.name });
    const moved = (await call('mutation($id: ID!) { updateDeal(id: $id, input: { stage: NEGOTIATION, probability: 80 }) { stage probability } }', { id: deal.id })).updateDeal;
    expect(moved).toEqual({ stage: 'NEGOTIATION', probability: 80 });
    const activity = (await call('mutation($d: ID) { createActivity(input: { kind: CALL, subject: "Pricing call", dealId: $d }) { kind subject dealId } }', { d: deal.id })).createActivity;
    expect(activity).toEqual({ kind: 'CALL', subject: 'Pricing call', dealId: deal.id });
    const byStage = await call('{ deals(filter: { stage: NEGOTIATION, search: "Big one" }) { returned items { id } } }');
    expect(byStage.deals.items).toEqual([{ id: deal.id }]);
  });
});

describe('consent', () => {
  it('hides a suppressed contact, counts it, shows it again when granted, and keeps the history', async () => {
    const created = (await call('mutation { createContact(input: { name: "Subject Sam", email: "sam@subject.example" }) { id } }')).createContact;
    const list = async () => (await call('{ contacts(filter: { email: "sam@subject.example" }) { returned consentFiltered note items { id } } }')).contacts;
    expect(await list()).toMatchObject({ returned: 1, consentFiltered: 0, note: '0 record(s) hidden by consent (suppressed/withdrawn subjects).' });
    const suppressed = (await call('mutation { suppressConsent(subject: { kind: EMAIL, value: "SAM@subject.example" }, reason: "asked by phone") { status value history { fromStatus toStatus reason } } }')).suppressConsent;
    expect(suppressed).toEqual({ status: 'SUPPRESSED', value: null, history: [{ fromStatus: null, toStatus: 'SUPPRESSED', reason: 'asked by phone' }] });
    expect(await list()).toEqual({ returned: 0, consentFiltered: 1, note: '1 record(s) hidden by consent (suppressed/withdrawn subjects).', items: [] });
    expect((await call('query($id: ID!) { contact(id: $id) { id } }', { id: created.id })).contact).toBeNull();
    await call('mutation { grantConsent(subject: { kind: EMAIL, value: "sam@subject.example" }) { status } }');
    expect(await list()).toMatchObject({ returned: 1, consentFiltered: 0 });
    const history = (await call('mutation { withdrawConsent(subject: { kind: EMAIL, value: "sam@subject.example" }) { history { fromStatus toStatus } } }')).withdrawConsent.history;
    expect(history).toEqual([
      { fromStatus: null, toStatus: 'SUPPRESSED' },
      { fromStatus: 'SUPPRESSED', toStatus: 'GRANTED' },
      { fromStatus: 'GRANTED', toStatus: 'WITHDRAWN' },
    ]);
  });

  it('a look-up by e-mail or name words tells only write:consent holders that consent hid a match', async () => {
    await call('mutation { createContact(input: { name: "Hidden Hana", email: "hana@oracle.example" }) { id } }');
    await call('mutation { withdrawConsent(subject: { kind: EMAIL, value: "hana@oracle.example" }) { status } }');
    const reader = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:contacts']);
    const as = async (token: string, filter: string) => {
      const res = await pact.gql<Data>(`{ contacts(filter: ${filter}) { returned consentFiltered note } }`, {}, { token });
      expect(res.body.errors).toBeUndefined();
      return res.body.data?.contacts;
    };
    const withheld = { returned: 0, consentFiltered: 0, note: expect.stringContaining('do not say whether consent hid a match') };
    const auditedHidden = async () =>
      (await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where operation = 'contacts' and consent_hidden = 1 and result_count = 0`))[0]?.n;
    const before = await auditedHidden();
    // The same answer for a hidden subject and for an address nobody holds: no existence oracle.
    expect(await as(reader, '{ email: "hana@oracle.example" }')).toEqual(withheld);
    // The audit row keeps the true count.
    expect(await auditedHidden()).toBe((before ?? 0) + 1);
    expect(await as(reader, '{ email: "nobody@oracle.example" }')).toEqual(withheld);
    expect(await as(reader, '{ piiSearch: "hana" }')).toEqual(withheld);
    // write:consent may read the consent record anyway, so it gets the count.
    expect(await as(key, '{ email: "hana@oracle.example" }')).toEqual({ returned: 0, consentFiltered: 1, note: '1 record(s) hidden by consent (suppressed/withdrawn subjects).' });
    // Other filters keep reporting hidden matches to every reader.
    expect((await as(reader, '{ search: "" }'))?.consentFiltered).toBeGreaterThan(0);
  });

  it('erasing an e-mail deletes the contact ciphertext and blind index and keeps no fingerprint of the address', async () => {
    const created = (await call('mutation { createContact(input: { name: "Erase Me", email: "erase.me@subject.example" }) { id } }')).createContact;
    // Erasure is owner/admin only: an API key is refused, an admin's session erases.
    const byKey = await pact.gql('mutation { eraseConsent(subject: { kind: EMAIL, value: "erase.me@subject.example" }) { status } }', {}, { token: key });
    expect(byKey.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'], role: 'api' });
    const admin = await pact.signIn('admin@pact.demo');
    const res = await pact.gql<Data>('mutation { eraseConsent(subject: { kind: EMAIL, value: "erase.me@subject.example" }) { status erasedRecords } }', {}, { token: admin });
    expect(res.body.data?.eraseConsent).toEqual({ status: 'ERASED', erasedRecords: 1 });
    expect(await pact.sql(sql`select id from contacts where id = ${created.id}`)).toEqual([]);
    const subjects = await pact.sql<{ subject_key: string; status: string }>(sql`select subject_key, status from consent_subjects where status = 'erased' and subject_key like 'erased:%'`);
    expect(subjects.length).toBe(TEST_SIZE.emailConsent.erased + 1);
    const again = await pact.gql('mutation { grantConsent(subject: { kind: EMAIL, value: "erase.me@subject.example" }) { status } }', {}, { token: key });
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data).toEqual({ grantConsent: { status: 'GRANTED' } });
  });

  it('hides the accounts and deals of a suppressed domain and counts them', async () => {
    const account = (await call('mutation { createAccount(input: { name: "Hidden Domain Inc", domain: "hidden-domain.example" }) { id } }')).createAccount;
    await call('mutation($a: ID) { d1: createDeal(input: { name: "HD one", accountId: $a, amount: 100 }) { id } d2: createDeal(input: { name: "HD two", accountId: $a, amount: 200 }) { id } }', { a: account.id });
    await call('mutation { withdrawConsent(subject: { kind: DOMAIN, value: "hidden-domain.example" }) { status } }');
    const accounts = (await call('{ accounts(filter: { search: "Hidden Domain" }) { returned consentFiltered } }')).accounts;
    expect(accounts).toEqual({ returned: 0, consentFiltered: 1 });
    const deals = (await call('query($a: ID) { deals(filter: { accountId: $a }) { returned consentFiltered note } }', { a: account.id })).deals;
    expect(deals).toEqual({ returned: 0, consentFiltered: 2, note: '2 record(s) hidden by consent (suppressed/withdrawn subjects).' });
  });

  it('counts every hidden record matching the filters, across pages', async () => {
    const [hidden] = await pact.sql<{ n: number }>(sql`
      select count(*)::int as n from accounts a join consent_subjects cs on cs.tenant_id = a.tenant_id and cs.kind = 'domain' and cs.subject_key = a.domain
      where a.tenant_id = ${pact.seed.demoTenantId} and cs.status <> 'granted'`);
    expect(hidden?.n).toBeGreaterThanOrEqual(TEST_SIZE.domainConsent.suppressed + TEST_SIZE.domainConsent.withdrawn);
    for (const first of [1, 5, 100]) {
      const page = (await call('query($f: Int) { accounts(first: $f) { returned consentFiltered } }', { f: first })).accounts;
      expect(page.consentFiltered).toBe(hidden?.n);
      expect(page.returned).toBeLessThanOrEqual(first);
    }
  });
});

describe('pipeline health', () => {
  it('aggregates consented deals only, equal to the same sums in SQL, citing top deals by id', async () => {
    const health = (await call('{ pipelineHealth { openValue weightedValue openDeals wonDeals lostDeals winRate consentFiltered note byStage { stage count value } topDeals { id amount stage } } }')).pipelineHealth;
    const [expected] = await pact.sql<{ open_value: string; weighted: string; open_deals: number; won: number; lost: number; hidden: number }>(sql`
      select
        coalesce(sum(d.amount_cents) filter (where visible and d.stage not in ('closed_won', 'closed_lost')), 0)::text as open_value,
        coalesce(round(sum(d.amount_cents * d.probability) filter (where visible and d.stage not in ('closed_won', 'closed_lost')) / 100.0), 0)::text as weighted,
        (count(*) filter (where visible and d.stage not in ('closed_won', 'closed_lost')))::int as open_deals,
        (count(*) filter (where visible and d.stage = 'closed_won'))::int as won,
        (count(*) filter (where visible and d.stage = 'closed_lost'))::int as lost,
        (count(*) filter (where not visible))::int as hidden
      from (select d.*, (cs.status is null or cs.status = 'granted') as visible
            from deals d join accounts a on a.id = d.account_id
            left join consent_subjects cs on cs.tenant_id = a.tenant_id and cs.kind = 'domain' and cs.subject_key = a.domain
            where d.tenant_id = ${pact.seed.demoTenantId}) d`);
    expect(health.openValue).toBe(Number(expected?.open_value) / 100);
    expect(health.weightedValue).toBe(Number(expected?.weighted) / 100);
    expect(health.openDeals).toBe(expected?.open_deals);
    expect(health.wonDeals).toBe(expected?.won);
    expect(health.lostDeals).toBe(expected?.lost);
    expect(health.consentFiltered).toBe(expected?.hidden);
    expect(health.consentFiltered).toBeGreaterThan(0);
    expect(health.note).toBe(`${expected?.hidden} record(s) hidden by consent (suppressed/withdrawn subjects).`);
    expect(health.byStage.map((s: { stage: string }) => s.stage)).toEqual(['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST']);
    expect(health.topDeals.length).toBeGreaterThan(0);
    const amounts = health.topDeals.map((d: { amount: number }) => d.amount);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    for (const top of health.topDeals) {
      expect((await call('query($id: ID!) { deal(id: $id) { id } }', { id: top.id })).deal).toEqual({ id: top.id });
    }
  });
});
