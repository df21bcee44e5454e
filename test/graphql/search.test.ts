import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:contacts', 'write:crm', 'write:consent']);
});
afterAll(() => pact.close());

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = async (query: string, variables: Record<string, unknown> = {}) => {
  const res = await pact.gql<Data>(query, variables, { token: key });
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data as Data;
};
const search = async (q: string, extra = '') =>
  (await call(`query($q: String) { contacts(filter: { search: $q ${extra} }, first: 50) { returned consentFiltered items { title } } }`, { q })).contacts as {
    returned: number;
    consentFiltered: number;
    items: { title: string }[];
  };
const titles = (page: { items: { title: string }[] }) => page.items.map((i) => i.title).sort();

describe('contact title search (whole words through contact_title_tokens)', () => {
  const made: Record<string, string> = {};
  beforeAll(async () => {
    for (const [name, title] of [
      ['Zed One', 'Zorblax Quantum Lead'],
      ['Zed Two', 'quantum-ZORBLAX officer'],
      ['Zed Three', 'Zorblaxian Analyst'],
    ] as const) {
      const email = `${name.toLowerCase().replace(' ', '.')}@zorblax.example`;
      made[title] = (await call('mutation($n: String!, $e: String, $t: String) { createContact(input: { name: $n, email: $e, title: $t }) { id } }', { n: name, e: email, t: title })).createContact.id;
    }
  });

  it('finds every contact whose title holds all the words, in any order and case; parts of words do not match', async () => {
    expect(titles(await search('zorblax'))).toEqual(['Zorblax Quantum Lead', 'quantum-ZORBLAX officer']);
    expect(titles(await search('QUANTUM  zorblax'))).toEqual(['Zorblax Quantum Lead', 'quantum-ZORBLAX officer']);
    expect(titles(await search('zorblax, lead'))).toEqual(['Zorblax Quantum Lead']);
    expect(titles(await search('Zorblaxian'))).toEqual(['Zorblaxian Analyst']);
    expect(await search('zorbl')).toMatchObject({ returned: 0, consentFiltered: 0 });
    expect(await search('zorblax nobody')).toMatchObject({ returned: 0, consentFiltered: 0 });
    expect(await search('--')).toMatchObject({ returned: 0, consentFiltered: 0 });
  });

  it('counts the hidden matches exactly, alone and with another filter, and shows them again when consent is granted', async () => {
    await call('mutation { suppressConsent(subject: { kind: EMAIL, value: "zed.two@zorblax.example" }) { status } }');
    expect(await search('zorblax')).toEqual({ returned: 1, consentFiltered: 1, items: [{ title: 'Zorblax Quantum Lead' }] });
    expect(await search('officer quantum')).toEqual({ returned: 0, consentFiltered: 1, items: [] });
    expect(await search('zorblax', `, piiSearch: "zed"`)).toMatchObject({ returned: 1, consentFiltered: 1 });
    expect(await search('zorblax', `, piiSearch: "one"`)).toMatchObject({ returned: 1, consentFiltered: 0 });
    await call('mutation { grantConsent(subject: { kind: EMAIL, value: "zed.two@zorblax.example" }) { status } }');
    expect(await search('zorblax')).toMatchObject({ returned: 2, consentFiltered: 0 });
    const flags = await pact.sql<{ hidden: boolean }>(sql`select distinct hidden from contact_title_tokens where contact_id = ${made['quantum-ZORBLAX officer']}`);
    expect(flags).toEqual([{ hidden: false }]);
  });

  it('pages through the matches in id order', async () => {
    const first = (await call('{ contacts(filter: { search: "zorblax" }, first: 1) { returned hasMore nextCursor items { id } } }')).contacts;
    expect(first).toMatchObject({ returned: 1, hasMore: true });
    const second = (await call('query($c: String) { contacts(filter: { search: "zorblax" }, first: 1, after: $c) { returned hasMore items { id } } }', { c: first.nextCursor })).contacts;
    expect(second).toMatchObject({ returned: 1, hasMore: false });
    expect([first.items[0].id, second.items[0].id].sort()).toEqual([made['Zorblax Quantum Lead'], made['quantum-ZORBLAX officer']].sort());
    expect(first.items[0].id < second.items[0].id).toBe(true);
  });

  it('rewrites the words when the title changes', async () => {
    await call('mutation($id: ID!) { updateContact(id: $id, input: { title: "Chief Zorblaxian" }) { title } }', { id: made['Zorblax Quantum Lead'] });
    expect(titles(await search('zorblax'))).toEqual(['quantum-ZORBLAX officer']);
    expect(titles(await search('zorblaxian'))).toEqual(['Chief Zorblaxian', 'Zorblaxian Analyst']);
    await call('mutation($id: ID!) { updateContact(id: $id, input: { title: null }) { title } }', { id: made['Zorblax Quantum Lead'] });
    expect(titles(await search('zorblaxian'))).toEqual(['Zorblaxian Analyst']);
  });

  it("keeps each word's maintained hidden count equal to its hidden title tokens through consent, title changes, new contacts and erasure", async () => {
    /** Words whose maintained count (contact_title_counts, what a one-word search reports) differs from their hidden token rows. */
    const drift = () =>
      pact.sql<{ token: string; counted: number; actual: number }>(sql`
        select coalesce(c.token, t.token) as token, coalesce(c.hidden, 0)::int as counted, coalesce(t.n, 0)::int as actual
        from contact_title_counts c
        full join (select tenant_id, token, count(*) as n from contact_title_tokens where hidden group by tenant_id, token) t
          on t.tenant_id = c.tenant_id and t.token = c.token
        where coalesce(c.hidden, 0) <> coalesce(t.n, 0)`);
    const suppress = (email: string) => call('mutation($e: String!) { suppressConsent(subject: { kind: EMAIL, value: $e }) { status } }', { e: email });
    // The seed's hidden contacts were counted as they were written.
    expect((await pact.sql<{ n: number }>(sql`select count(*)::int as n from contact_title_counts where hidden > 0`))[0]?.n).toBeGreaterThan(0);
    expect(await drift()).toEqual([]);

    await call('mutation($id: ID!) { updateContact(id: $id, input: { title: "Zorblax Officer Emeritus" }) { id } }', { id: made['quantum-ZORBLAX officer'] });
    expect(await search('emeritus')).toMatchObject({ returned: 1, consentFiltered: 0 });
    await suppress('zed.two@zorblax.example');
    expect(await search('emeritus')).toMatchObject({ returned: 0, consentFiltered: 1 });
    expect(await search('zorblax')).toMatchObject({ returned: 0, consentFiltered: 1 });
    expect(await search('quantum')).toMatchObject({ consentFiltered: 0 });

    await call('mutation { createContact(input: { name: "Zed Four", email: "zed.four@zorblax.example", title: "Emeritus" }) { id } }');
    await suppress('zed.four@zorblax.example');
    expect(await search('emeritus')).toMatchObject({ returned: 0, consentFiltered: 2 });
    expect(await search('emeritus zorblax')).toMatchObject({ returned: 0, consentFiltered: 1 });
    expect(await drift()).toEqual([]);

    const admin = await pact.signIn('admin@pact.demo');
    const erased = await pact.gql('mutation { eraseConsent(subject: { kind: EMAIL, value: "zed.four@zorblax.example" }) { status } }', {}, { token: admin });
    expect(erased.body.errors).toBeUndefined();
    expect(await search('emeritus')).toMatchObject({ returned: 0, consentFiltered: 1 });
    await call('mutation { grantConsent(subject: { kind: EMAIL, value: "zed.two@zorblax.example" }) { status } }');
    expect(await search('emeritus')).toMatchObject({ returned: 1, consentFiltered: 0 });
    expect(await drift()).toEqual([]);
    const counted = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contact_title_counts where token = 'emeritus' and hidden = 0`);
    expect(counted).toEqual([{ n: 1 }]);
  });
});
