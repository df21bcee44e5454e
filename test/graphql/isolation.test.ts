import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let demoKey: string;
let globexKey: string;
const reads = ['read:accounts', 'read:contacts', 'read:deals'];

beforeAll(async () => {
  pact = await startTestPact();
  demoKey = await pact.mintKey(await pact.signIn('owner@pact.demo', undefined), reads, 'demo');
  globexKey = await pact.mintKey(await pact.signIn('owner@globex.demo'), reads);
});
afterAll(() => pact.close());

const firstId = async (table: string, tenantId: string) => {
  const [row] = await pact.sql<{ id: string }>(sql.raw(`select id from ${table} where tenant_id = '${tenantId}' order by id limit 1`));
  if (!row) throw new Error(`no ${table}`);
  return row.id;
};

describe('cross-tenant reads', () => {
  it.each([
    ['account', 'accounts'],
    ['contact', 'contacts'],
    ['deal', 'deals'],
  ])('a %s of another tenant answers exactly like one that does not exist', async (field, table) => {
    const foreignId = await firstId(table, pact.seed.secondTenantId);
    const missing = '01890000-0000-7000-8000-000000000000';
    const foreign = await pact.gql(`query($id: ID!) { ${field}(id: $id) { id } }`, { id: foreignId }, { token: demoKey });
    const absent = await pact.gql(`query($id: ID!) { ${field}(id: $id) { id } }`, { id: missing }, { token: demoKey });
    expect(foreign.status).toBe(200);
    expect(foreign.body.data).toEqual({ [field]: null });
    expect(absent.body).toEqual(foreign.body);
    const own = await pact.gql(`query($id: ID!) { ${field}(id: $id) { id } }`, { id: foreignId }, { token: globexKey });
    expect(own.body.data).toEqual({ [field]: { id: foreignId } });
  });

  it("refuses another tenant's cursor exactly like a forged one", async () => {
    const page = await pact.gql<{ accounts: { nextCursor: string } }>('{ accounts(first: 2) { nextCursor } }', {}, { token: globexKey });
    const cursor = page.body.data?.accounts.nextCursor;
    expect(cursor).toBeTruthy();
    const foreign = await pact.gql('query($c: String) { accounts(first: 2, after: $c) { returned } }', { c: cursor }, { token: demoKey });
    const forged = await pact.gql('query($c: String) { accounts(first: 2, after: $c) { returned } }', { c: `${cursor}x` }, { token: demoKey });
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
    expect(foreign.body.errors?.[0]?.message).toBe(forged.body.errors?.[0]?.message);
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
  });

  it("refuses a cursor of another list in the same tenant", async () => {
    const page = await pact.gql<{ deals: { nextCursor: string } }>('{ deals(first: 2) { nextCursor } }', {}, { token: demoKey });
    const res = await pact.gql('query($c: String) { accounts(first: 2, after: $c) { returned } }', { c: page.body.data?.deals.nextCursor }, { token: demoKey });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
  });

  it("never finds another tenant's records by search", async () => {
    const [foreign] = await pact.sql<{ name: string }>(sql`select name from accounts where tenant_id = ${pact.seed.secondTenantId} order by id limit 1`);
    await pact.sql(sql`update accounts set name = 'Zyxwv Globex Only' where tenant_id = ${pact.seed.secondTenantId} and name = ${foreign?.name ?? ''}`);
    const mine = await pact.gql<{ accounts: { returned: number; consentFiltered: number } }>(
      '{ accounts(filter: { search: "Zyxwv" }) { returned consentFiltered } }',
      {},
      { token: demoKey },
    );
    expect(mine.body.data?.accounts).toEqual({ returned: 0, consentFiltered: 0 });
    const theirs = await pact.gql<{ accounts: { returned: number } }>('{ accounts(filter: { search: "zyxwv" }) { returned } }', {}, { token: globexKey });
    expect(theirs.body.data?.accounts.returned).toBe(1);
  });

  it("a key of one tenant cannot name another tenant in X-Tenant-ID", async () => {
    const res = await pact.gql('{ viewer { tenantSlug } }', {}, { token: demoKey, tenant: 'globex' });
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNKNOWN_TENANT');
  });

  it('lists only the caller tenant rows, page after page, each exactly once', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<typeof pact.gql<{ contacts: { items: { id: string }[]; nextCursor: string | null; consentFiltered: number } }>>> =
        await pact.gql('query($a: String) { contacts(first: 17, after: $a) { items { id } nextCursor consentFiltered } }', { a: after }, { token: demoKey });
      const list = res.body.data?.contacts;
      if (!list) throw new Error(JSON.stringify(res.body));
      for (const item of list.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      after = list.nextCursor;
      pages += 1;
    } while (after && pages < 50);
    const [visible] = await pact.sql<{ n: number }>(sql`
      select count(*)::int as n from contacts c
      left join consent_subjects cs on cs.tenant_id = c.tenant_id and cs.kind = 'email' and cs.subject_key = c.email_index
      where c.tenant_id = ${pact.seed.demoTenantId} and (cs.status is null or cs.status = 'granted')`);
    expect(seen.size).toBe(visible?.n);
    const foreign = await pact.sql<{ id: string }>(sql`select id from contacts where tenant_id = ${pact.seed.secondTenantId}`);
    expect(foreign.filter((r) => seen.has(r.id))).toEqual([]);
  });
});
