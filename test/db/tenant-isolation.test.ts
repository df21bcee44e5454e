import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantTables } from '../../src/db/schema';
import { dbError, startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
beforeAll(async () => {
  pact = await startTestPact();
});
afterAll(() => pact.close());

const countAll = (table: string) => sql.raw(`select count(*)::int as n from ${table}`);

describe('row-level security', () => {
  it('runs requests under the application role, which is no superuser and cannot bypass RLS', async () => {
    const [role] = await pact.database.withAppRole((tx) =>
      pact.database.rows<{ user: string; superuser: boolean; bypass: boolean }>(
        tx,
        sql`select current_user as user, r.rolsuper as superuser, r.rolbypassrls as bypass from pg_roles r where r.rolname = current_user`,
      ),
    );
    expect(role).toEqual({ user: 'pact_app', superuser: false, bypass: false });
  });

  it('forces RLS on every tenant table', async () => {
    const rows = await pact.sql<{ relname: string; forced: boolean; enabled: boolean }>(
      sql`select relname, relforcerowsecurity as forced, relrowsecurity as enabled from pg_class where relname in ${[...tenantTables, 'users']}`,
    );
    expect(rows).toHaveLength(tenantTables.length + 1);
    for (const row of rows) expect(row, row.relname).toMatchObject({ forced: true, enabled: true });
  });

  it('forces RLS on every table that has a tenant_id column, listed or not', async () => {
    const rows = await pact.sql<{ relname: string; forced: boolean; enabled: boolean }>(
      sql`select c.relname, c.relforcerowsecurity as forced, c.relrowsecurity as enabled
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
          where n.nspname = 'public' and c.relkind = 'r' order by c.relname`,
    );
    expect(rows.map((r) => r.relname)).toEqual(expect.arrayContaining(['oauth_codes', 'oauth_tokens']));
    for (const row of rows) expect(row, row.relname).toMatchObject({ forced: true, enabled: true });
  });

  it.each([...tenantTables, 'users'])('a query that forgets to bind a tenant sees zero rows of %s (or may not read it at all)', async (table) => {
    const unbound = await pact.database
      .withAppRole((tx) => pact.database.rows<{ n: number }>(tx, countAll(table)))
      .then((rows) => rows[0]?.n, (error: unknown) => dbError(Promise.reject(error)));
    // The OAuth tables grant the application role nothing: the authorization server reads them as the owner.
    if (typeof unbound === 'string') expect([table, unbound]).toEqual([expect.stringMatching(/^oauth_/), expect.stringMatching(/permission denied/)]);
    else expect(unbound).toBe(0);
  });

  it('the seeded tables hold rows for both tenants that the unbound query did not see', async () => {
    for (const table of ['tenants', 'accounts', 'contacts', 'deals', 'activities', 'consent_subjects', 'tenant_keys', 'memberships', 'erased_contacts']) {
      const [all] = await pact.sql<{ n: number }>(countAll(table));
      expect(all?.n, table).toBeGreaterThan(0);
    }
  });

  it('a bound tenant sees exactly its own rows (those consent leaves visible)', async () => {
    const { demoTenantId, secondTenantId } = pact.seed;
    for (const table of ['accounts', 'contacts', 'deals']) {
      const [own] = await pact.database.withTenant(demoTenantId, (tx) => pact.database.rows<{ n: number }>(tx, countAll(table)));
      const [expected] = await pact.sql<{ n: number }>(sql.raw(`select count(*)::int as n from ${table} where tenant_id = '${demoTenantId}' and not consent_hidden`));
      expect(expected?.n, table).toBeGreaterThan(0);
      const [foreign] = await pact.database.withTenant(demoTenantId, (tx) =>
        pact.database.rows<{ n: number }>(tx, sql.raw(`select count(*)::int as n from ${table} where tenant_id = '${secondTenantId}'`)),
      );
      expect(own?.n, table).toBe(expected?.n);
      expect(foreign?.n, table).toBe(0);
    }
  });

  it('refuses to write a row into another tenant', async () => {
    const { demoTenantId, secondTenantId } = pact.seed;
    expect(
      await dbError(
        pact.database.withTenant(demoTenantId, (tx) =>
          tx.execute(sql`insert into accounts (id, tenant_id, name) values (gen_random_uuid(), ${secondTenantId}, 'smuggled')`),
        ),
      ),
    ).toMatch(/row-level security/);
    const [row] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts where name = 'smuggled'`);
    expect(row?.n).toBe(0);
  });

  it('the application role cannot read password hashes or sessions', async () => {
    const asApp = (q: SQL) => pact.database.withTenant(pact.seed.demoTenantId, (tx) => tx.execute(q));
    expect(await dbError(asApp(sql`select password_hash from users`))).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`select * from user_sessions`))).toMatch(/permission denied/);
    const [visible] = await pact.database.withTenant(pact.seed.demoTenantId, (tx) =>
      pact.database.rows<{ n: number }>(tx, sql`select count(*)::int as n from users`),
    );
    expect(visible?.n).toBe(5);
  });

  it('the audit log and usage ledger are append-only, even for the owner role', async () => {
    const { demoTenantId } = pact.seed;
    await pact.database.withTenant(demoTenantId, async (tx) => {
      await tx.execute(sql`insert into audit_log (id, tenant_id, path, operation, arg_digest, latency_ms, outcome)
        values (gen_random_uuid(), ${demoTenantId}, 'graphql', 'probe', 'x', 1, 'ok')`);
      await tx.execute(sql`insert into usage_ledger (tenant_id, path, operation, cost_microcents) values (${demoTenantId}, 'graphql', 'probe', 1)`);
    });
    for (const run of [
      (q: SQL) => pact.database.withTenant(demoTenantId, (tx) => tx.execute(q)),
      (q: SQL) => pact.database.withSystem((tx) => tx.execute(q)),
    ]) {
      expect(await dbError(run(sql`update audit_log set outcome = 'error'`))).toMatch(/append-only|permission denied/);
      expect(await dbError(run(sql`delete from audit_log`))).toMatch(/append-only|permission denied/);
      expect(await dbError(run(sql`delete from usage_ledger`))).toMatch(/append-only|permission denied/);
      expect(await dbError(run(sql`truncate audit_log`))).toMatch(/append-only|permission denied/);
    }
    const [left] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log where operation = 'probe' and outcome = 'ok'`);
    expect(left?.n).toBe(1);
  });
});
