import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateTenantKey } from '../../src/services/key-admin/rotation';
import { startTestPact, type TestPact } from '../helpers/pact';
import { caller, type Caller } from './helpers';

let pact: TestPact;
let admin: Caller;

const CANARY = { name: 'Quetzalcoatl Vantablack', email: 'Quetzal.Vantablack+vip@Canary-Bird.example', phone: '+44 20 7946 0123' };
const ERASED = { name: 'Ozymandias Ferrofluid', email: 'ozy.ferrofluid@Canary-Bird.example', phone: '+44 20 7946 0456' };
const NEEDLES = ['Quetzalcoatl', 'Vantablack', 'quetzal.vantablack', 'Canary-Bird', '7946 0123', 'Ozymandias', 'Ferrofluid', 'ozy.ferrofluid', '7946 0456'];
const MATERIAL = randomBytes(32);

interface Column {
  schema: string;
  table: string;
  column: string;
  type: string;
}

/** Every column of every table in the database that can hold text or bytes. */
const textColumns = () =>
  pact.sql<Column & Record<string, unknown>>(sql`
    select c.table_schema as schema, c.table_name as table, c.column_name as column, c.data_type as type
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
     where c.table_schema not in ('pg_catalog', 'information_schema', 'pg_toast')
       and (c.data_type in ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb', 'xml') or (c.data_type = 'ARRAY' and c.udt_name in ('_text', '_varchar')))
     order by 1, 2, 3`);

/** The columns (as `schema.table.column`) holding any of the needles: text case-insensitively, in hex too; bytes raw. */
async function columnsHolding(needles: (string | Buffer)[]): Promise<string[]> {
  const found: string[] = [];
  for (const col of await textColumns()) {
    const ident = sql.raw(`"${col.schema}"."${col.table}"`);
    const field = sql.raw(`"${col.column}"`);
    for (const needle of needles) {
      const bytes = Buffer.isBuffer(needle) ? needle : Buffer.from(needle, 'utf8');
      const variants = Buffer.isBuffer(needle) ? [bytes] : [bytes, Buffer.from(needle.toLowerCase()), Buffer.from(needle.toUpperCase())];
      const texts = [
        ...(Buffer.isBuffer(needle) ? [] : [needle.toLowerCase()]),
        bytes.toString('hex'),
        ...(Buffer.isBuffer(needle) ? [bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url').replace(/=+$/, '')] : []),
      ];
      const condition =
        col.type === 'bytea'
          ? sql.join(
              [...variants.map((v) => sql`position(${v.toString('hex')}::text in encode(${field}, 'hex')) % 2 = 1`), ...texts.map((t) => sql`position(${t}::text in lower(encode(${field}, 'escape'))) > 0`)],
              sql` or `,
            )
          : sql.join(
              texts.map((t) => sql`position(lower(${t}::text) in lower(${field}::text)) > 0`),
              sql` or `,
            );
      const [row] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from ${ident} where ${condition}`);
      if ((row?.n ?? 0) > 0) found.push(`${col.schema}.${col.table}.${col.column} ∋ ${Buffer.isBuffer(needle) ? 'key material' : needle}`);
    }
  }
  return found;
}

beforeAll(async () => {
  pact = await startTestPact();
  admin = await caller(pact, 'admin@pact.demo');
});
afterAll(() => pact.close());

describe('canary PII and key material never appear in plaintext in the database', () => {
  it('finds a planted plaintext (the scan works)', async () => {
    await pact.sql(sql`update accounts set industry = ${'planted Vantablack'} where id = (select id from accounts limit 1)`);
    await pact.sql(sql`update contacts set pii = ${Buffer.from('xxQuetzalcoatlxx')} where id = (select id from contacts limit 1)`);
    const found = await columnsHolding(['Vantablack', 'QUETZALCOATL']);
    expect(found).toEqual(['public.accounts.industry ∋ Vantablack', 'public.contacts.pii ∋ QUETZALCOATL']);
    await pact.sql(sql`update accounts set industry = 'Software' where industry = ${'planted Vantablack'}`);
    await pact.sql(sql`delete from contacts where pii = ${Buffer.from('xxQuetzalcoatlxx')}`);
    expect(await columnsHolding(['Vantablack', 'QUETZALCOATL'])).toEqual([]);
  });

  it('after create, update, search, consent, erasure, BYOK, rotation and refused calls', async () => {
    await admin.call('mutation($m: String!) { setTenantKeyMaterial(material: $m) { byok } }', { m: MATERIAL.toString('base64') });
    const created = await admin.call('mutation($input: ContactInput!) { createContact(input: $input) { id name email phone } }', {
      input: { name: CANARY.name, email: CANARY.email, phone: '+44 20 0000 0000', title: 'Canary' },
    });
    const id = created.createContact.id as string;
    await admin.call(`mutation { updateContact(id: "${id}", input: { phone: "${CANARY.phone}" }) { name email phone } }`);
    await admin.call(`mutation { createContact(input: { name: "${ERASED.name}", email: "${ERASED.email}", phone: "${ERASED.phone}" }) { id name } }`);

    const bySearch = await admin.call('query($q: String) { contacts(filter: { piiSearch: $q }) { items { id name email phone } } }', { q: 'quetzalcoatl canary-bird.example' });
    expect(bySearch.contacts.items).toEqual([{ id, name: CANARY.name, email: CANARY.email.toLowerCase(), phone: CANARY.phone }]);
    await admin.call(`{ contacts(filter: { email: "${CANARY.email}" }) { items { name } } c2: contacts(filter: { piiSearch: "vantablack vip" }) { returned } }`);
    await admin.call(`query { contact(id: "${id}") { name email phone } }`);
    await admin.call(`mutation { suppressConsent(subject: { kind: EMAIL, value: "${CANARY.email}" }, reason: "asked") { status } }`);
    await admin.call(`mutation { grantConsent(subject: { kind: EMAIL, value: "${CANARY.email}" }) { status } }`);
    await admin.call(`mutation { eraseConsent(subject: { kind: EMAIL, value: "${ERASED.email}" }) { erasedRecords } }`);
    // Refused and failed calls carrying the canary.
    await admin.raw(`mutation { createContact(input: { name: "${CANARY.name}", email: "not an email ${CANARY.email}" }) { id } }`);
    await pact.gql(`{ contacts(filter: { piiSearch: "${CANARY.name}" }) { returned } }`, {}, { token: 'pact_live_bogus' });
    const member = await caller(pact, 'member@pact.demo');
    await member.raw(`mutation { setTenantKeyMaterial(material: "${MATERIAL.toString('base64')}") { byok } }`);

    await admin.call('mutation { rotateEncryptionKey { status } }');
    await rotateTenantKey(pact.database, pact.services.keys, pact.seed.demoTenantId, { batchSize: 7 });
    expect((await admin.call(`query { contact(id: "${id}") { name phone } }`)).contact).toEqual({ name: CANARY.name, phone: CANARY.phone });

    const needles: (string | Buffer)[] = [...NEEDLES, MATERIAL];
    expect(await columnsHolding(needles)).toEqual([]);
    const [scanned] = await pact.sql<{ n: number }>(sql`select count(distinct table_name)::int as n from information_schema.columns where table_schema = 'public'`);
    expect(scanned?.n).toBeGreaterThanOrEqual(15);
    // The calls above were audited and charged, so the scan covered real audit and ledger rows.
    const [audited] = await pact.sql<{ audit: number; ledger: number }>(
      sql`select (select count(*) from audit_log)::int as audit, (select count(*) from usage_ledger)::int as ledger`,
    );
    expect(audited?.audit).toBeGreaterThan(10);
    expect(audited?.ledger).toBeGreaterThan(0);
  });

  it('after a mutation sent with an Idempotency-Key (its stored response is replayed later)', async () => {
    const replayed = { name: 'Xiuhcoatl Obsidianwing', email: 'xiuh.obsidianwing@replay-bird.example', phone: '+44 20 7946 0789' };
    const send = () =>
      pact.gql<Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
        'mutation($input: ContactInput!) { createContact(input: $input) { id name email phone } }',
        { input: replayed },
        { token: admin.token, headers: { 'idempotency-key': 'canary-create-1' } },
      );
    const first = await send();
    expect(first.body.errors).toBeUndefined();
    expect((await send()).body.data).toEqual(first.body.data);
    expect(await columnsHolding(['Xiuhcoatl', 'Obsidianwing', 'replay-bird', '7946 0789'])).toEqual([]);
  });
});
