import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

// The audit row travels with COMMIT (src/db/phases.ts `withCommit`): when it fails, nothing of the call may commit.
let pact: TestPact;
let key: string;

beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:contacts', 'write:crm']);
});

afterAll(async () => {
  await pact?.close();
});

const count = async (query: ReturnType<typeof sql>) => (await pact.sql<{ n: number }>(query))[0]?.n ?? -1;

describe('an audit row that fails as it is sent with the commit', () => {
  it('commits none of the call: no contact, no ledger charge; the caller gets a masked error and the next call works', async () => {
    await pact.sql(sql.raw(`create function pact_test_refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit refused for the test'; end $$`));
    await pact.sql(sql.raw(`create trigger pact_test_refuse_audit before insert on audit_log for each row
      when (new.operation = 'createContact') execute function pact_test_refuse_audit()`));
    const ledgerBefore = await count(sql`select count(*)::int as n from usage_ledger where operation = 'createContact'`);
    let res;
    try {
      res = await pact.gql('mutation { createContact(input: { name: "Never Committed" }) { id } }', {}, { token: key });
    } finally {
      await pact.sql(sql.raw('drop trigger pact_test_refuse_audit on audit_log'));
      await pact.sql(sql.raw('drop function pact_test_refuse_audit()'));
    }
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' } });
    expect(await count(sql`select count(*)::int as n from contacts where title is null and created_at > now() - interval '1 minute'`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from usage_ledger where operation = 'createContact'`)).toBe(ledgerBefore);

    const next = await pact.gql<{ createContact: { id: string } }>('mutation { createContact(input: { name: "Committed" }) { id } }', {}, { token: key });
    expect(next.body.errors).toBeUndefined();
    const id = next.body.data?.createContact.id;
    expect(await count(sql`select count(*)::int as n from contacts where id = ${id}::uuid`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from audit_log where operation = 'createContact' and outcome = 'ok'`)).toBe(1);
  });
});
