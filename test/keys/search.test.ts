import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { CREATE_CONTACT, caller, type Caller } from './helpers';

let pact: TestPact;
let demo: Caller;
let globex: Caller;
const SEARCH = 'query($q: String) { contacts(first: 100, filter: { piiSearch: $q }) { returned consentFiltered items { id name email } } }';

beforeAll(async () => {
  pact = await startTestPact();
  demo = await caller(pact, 'admin@pact.demo');
  globex = await caller(pact, 'owner@globex.demo');
});
afterAll(() => pact.close());

const ids = async (who: Caller, q: string) =>
  ((await who.call(SEARCH, { q })).contacts.items as { id: string }[]).map((c) => c.id).sort();

describe('token search on name and e-mail', () => {
  let zora: string;
  let zeke: string;
  beforeAll(async () => {
    zora = (await demo.call(CREATE_CONTACT, { input: { name: 'Zora Quillfeather', email: 'z.quill+crm@Quillworks.example', phone: '+1 555 0100' } })).createContact.id;
    zeke = (await demo.call(CREATE_CONTACT, { input: { name: 'Zeke Quillfeather', email: 'zeke@elsewhere.example' } })).createContact.id;
  });

  it('finds by first name, last name, e-mail words and e-mail domain, case- and accent-insensitively', async () => {
    expect(await ids(demo, 'zora')).toEqual([zora]);
    expect(await ids(demo, 'QUILLFEATHER')).toEqual([zora, zeke].sort());
    expect(await ids(demo, 'quillworks.example')).toEqual([zora]);
    expect(await ids(demo, '@quillworks.example')).toEqual([zora]);
    expect(await ids(demo, 'quill')).toEqual([zora]);
    expect(await ids(demo, 'crm')).toEqual([zora]);
    expect(await ids(demo, 'z.quill+crm@quillworks.example')).toEqual([zora]);
    expect(await ids(demo, 'Zóra')).toEqual([zora]);
  });

  it('requires every word, and combines with the other filters', async () => {
    expect(await ids(demo, 'quillfeather zeke')).toEqual([zeke]);
    expect(await ids(demo, 'quillfeather elsewhere.example')).toEqual([zeke]);
    expect(await ids(demo, 'zora elsewhere.example')).toEqual([]);
    const both = await demo.call('{ contacts(filter: { piiSearch: "quillfeather", email: "zeke@elsewhere.example" }) { items { id } } }');
    expect(both.contacts.items).toEqual([{ id: zeke }]);
  });

  it('finds seeded contacts (tokens written by the seed)', async () => {
    const [row] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contact_search_tokens where tenant_id = ${pact.seed.demoTenantId}`);
    expect(row?.n).toBeGreaterThan(0);
    const found = await demo.call('{ contacts(first: 5, filter: { piiSearch: "ada" }) { items { name } } }');
    for (const c of found.contacts.items as { name: string }[]) expect(c.name.split(' ')).toContain('Ada');
  });

  it('never matches across tenants, not even the same words', async () => {
    expect(await ids(globex, 'zora quillfeather')).toEqual([]);
    const other = (await globex.call(CREATE_CONTACT, { input: { name: 'Zora Quillfeather', email: 'zora@quillworks.example' } })).createContact.id;
    expect(await ids(globex, 'zora quillfeather')).toEqual([other]);
    expect(await ids(demo, 'zora quillfeather')).toEqual([zora]);
    const tokens = await pact.sql<{ tenant_id: string; token: string }>(sql`select tenant_id, token from contact_search_tokens where contact_id in (${zora}, ${other})`);
    const demoTokens = new Set(tokens.filter((t) => t.tenant_id === pact.seed.demoTenantId).map((t) => t.token));
    const globexTokens = tokens.filter((t) => t.tenant_id === pact.seed.secondTenantId).map((t) => t.token);
    expect(globexTokens.length).toBeGreaterThan(0);
    for (const t of globexTokens) expect(demoTokens.has(t)).toBe(false);
  });

  it('rewrites the tokens when the name or e-mail changes', async () => {
    await demo.call('mutation($id: ID!) { updateContact(id: $id, input: { name: "Zora Brightwater" }) { id } }', { id: zora });
    expect(await ids(demo, 'quillfeather')).toEqual([zeke]);
    expect(await ids(demo, 'brightwater')).toEqual([zora]);
    expect(await ids(demo, 'quillworks.example')).toEqual([zora]);
  });

  it('counts consent-hidden matches of the search', async () => {
    await demo.call('mutation { suppressConsent(subject: { kind: EMAIL, value: "zeke@elsewhere.example" }) { status } }');
    const page = (await demo.call(SEARCH, { q: 'zeke' })).contacts;
    expect(page).toMatchObject({ returned: 0, consentFiltered: 1 });
  });

  it('erasing the subject deletes its contacts and their token rows', async () => {
    const [before] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contact_search_tokens where contact_id = ${zeke}`);
    expect(before?.n).toBeGreaterThan(0);
    const erased = await demo.call('mutation { eraseConsent(subject: { kind: EMAIL, value: "zeke@elsewhere.example" }) { erasedRecords } }');
    expect(erased.eraseConsent.erasedRecords).toBe(1);
    const [after] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contact_search_tokens where contact_id = ${zeke}`);
    expect(after?.n).toBe(0);
    expect(await ids(demo, 'zeke')).toEqual([]);
  });

  it('contacts stored before search tokens existed are indexed by the next key rotation', async () => {
    await pact.sql(sql`delete from contact_search_tokens where contact_id = ${zora}`);
    expect(await ids(demo, 'brightwater')).toEqual([]);
    const rotation = await demo.call('mutation { rotateEncryptionKey { status remaining } }');
    expect(rotation.rotateEncryptionKey).toEqual({ status: 'DONE', remaining: 0 });
    expect(await ids(demo, 'brightwater')).toEqual([zora]);
    expect(await ids(demo, 'zora quillworks.example')).toEqual([zora]);
  });

  it('refuses a query with no searchable words or too many words', async () => {
    for (const q of ['!!!', 'a b c d e f g h i']) {
      const res = await demo.raw(SEARCH, { q });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await demo.call(SEARCH, { q: '   ' })).contacts.returned).toBeGreaterThan(0);
  });
});
