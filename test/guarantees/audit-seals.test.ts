import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client';
import { createLogger } from '../../src/lib/logger';
import { newId } from '../../src/lib/ids';
import { newCall } from '../../src/services/audit/call';
import { createSealKeys, rowMacOf } from '../../src/services/audit/seal-format';
import { createAuditSealer } from '../../src/services/audit/sealer';
import type { Principal } from '../../src/services/auth/principal';
import { dbError, startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
let globex: string;
beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:deals']);
  globex = await pact.mintKey(await pact.signIn('owner@globex.demo'), ['read:accounts']);
});
afterAll(() => pact.close());

const demo = () => pact.seed.demoTenantId;
const verify = (tenantId = demo()) => pact.database.withSystem((tx) => pact.services.audit.verify(tx, tenantId), { snapshot: true });
const call = (token = key) => pact.gql('{ accounts(first: 1) { returned } }', {}, { token });
const auditIds = async (tenantId = demo()) =>
  (await pact.sql<{ id: string }>(sql`select id from audit_log where tenant_id = ${tenantId} order by seq`)).map((r) => r.id);
const sealOf = async (id: string) =>
  (await pact.sql<{ seal: number }>(sql`select seal_seq::int as seal from audit_sealed_rows where audit_id = ${id}`))[0]?.seal ?? null;

/** Polls `probe` until `done` holds, failing after `timeoutMs`. */
async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every audit row of the tenant is listed in exactly one existing seal, and the seals count 1, 2, … n. */
async function expectSealedOnce(tenantId: string) {
  const [rows] = await pact.sql<{ rows: number; listed: number; distinct: number; inSeals: number }>(sql`
    select (select count(*)::int from audit_log where tenant_id = ${tenantId}) as rows,
           (select count(*)::int from audit_sealed_rows s join audit_log a on a.id = s.audit_id where s.tenant_id = ${tenantId}) as listed,
           (select count(distinct audit_id)::int from audit_sealed_rows where tenant_id = ${tenantId}) as distinct,
           (select coalesce(sum(row_count), 0)::int from audit_seals where tenant_id = ${tenantId}) as "inSeals"`);
  expect(rows?.listed).toBe(rows?.rows);
  expect(rows?.distinct).toBe(rows?.rows);
  expect(rows?.inSeals).toBe(rows?.rows);
  const seqs = (await pact.sql<{ seq: number }>(sql`select seq::int as seq from audit_seals where tenant_id = ${tenantId} order by seq`)).map((r) => r.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
}

describe('sealing', () => {
  it('seals every call within a few seconds by itself', async () => {
    for (let i = 0; i < 5; i += 1) expect((await call()).status).toBe(200);
    const started = Date.now();
    const report = await until(verify, (r) => r.unsealedRows === 0, 8_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report).toMatchObject({ ok: true, firstBroken: null });
    expect(report.sealedRows).toBe((await auditIds()).length);
    expect(report.lastSeal?.hash).toMatch(/^[0-9a-f]{64}$/);
    await expectSealedOnce(demo());
  });

  it('a row that commits after later rows were sealed is sealed by a later seal', async () => {
    let late: string;
    let lateSeq: number;
    if (pact.database.kind === 'postgres') {
      // A call's transaction inserts its audit row and stays open while later calls commit and are sealed.
      const principal: Principal = {
        kind: 'api_key', tenantId: demo(), tenantSlug: 'demo', userId: null, apiKeyId: null, role: 'api',
        scopes: new Set(), client: 'late', path: 'graphql', trustedDocumentsOnly: false,
      };
      let inserted!: () => void;
      let release!: () => void;
      const insertedP = new Promise<void>((r) => (inserted = r));
      const releaseP = new Promise<void>((r) => (release = r));
      const open = pact.database.withTenant(demo(), async (tx) => {
        const id = await pact.services.audit.append(tx, newCall(principal), 'ok');
        inserted();
        await releaseP;
        return id;
      });
      await insertedP;
      for (let i = 0; i < 3; i += 1) await call();
      await pact.services.auditSealer.sealNow();
      expect((await verify()).unsealedRows).toBe(0);
      release();
      late = await open;
      lateSeq = (await pact.sql<{ seq: number }>(sql`select seq::int as seq from audit_log where id = ${late}`))[0]?.seq ?? 0;
    } else {
      // PGlite runs one transaction at a time: take the row's seq first, commit the row after the later ones were sealed.
      const [reserved] = await pact.sql<{ seq: number }>(sql`select nextval('audit_log_seq_seq')::int as seq`);
      lateSeq = reserved?.seq ?? 0;
      for (let i = 0; i < 3; i += 1) await call();
      await pact.services.auditSealer.sealNow();
      late = newId();
      const content = {
        id: late, tenantId: demo(), at: new Date(), path: 'graphql' as const, operation: 'late', userId: null, apiKeyId: null, client: null,
        argDigest: 'x', latencyMs: 1, resultCount: 0, consentHidden: 0, outcome: 'ok' as const, errorCode: null, costMicrocents: 0,
      };
      const mac = rowMacOf(createSealKeys(pact.masterKey), content);
      await pact.sql(sql`
        with logged as (
          insert into audit_log (id, tenant_id, seq, at, path, operation, arg_digest, latency_ms, outcome, row_mac)
          values (${late}, ${demo()}, ${lateSeq}, ${content.at.toISOString()}, 'graphql', 'late', 'x', 1, 'ok', ${mac}) returning id)
        insert into audit_pending (audit_id, tenant_id) select id, ${demo()} from logged returning audit_id`);
    }
    const [later] = await pact.sql<{ rows: number; seal: number }>(sql`
      select count(*)::int as rows, max(s.seal_seq)::int as seal from audit_log a join audit_sealed_rows s on s.audit_id = a.id
      where a.tenant_id = ${demo()} and a.seq > ${lateSeq} and a.id <> ${late}`);
    expect(later?.rows).toBe(3);
    await until(() => sealOf(late), (seal) => seal !== null);
    expect(await sealOf(late)).toBeGreaterThan(later?.seal ?? Infinity);
    expect(await verify()).toMatchObject({ ok: true, unsealedRows: 0 });
    await expectSealedOnce(demo());
  });

  it('rows left unsealed by an instance killed after commit are sealed by the next sealer that starts', async () => {
    await pact.services.auditSealer.stop();
    const before = await verify();
    for (let i = 0; i < 4; i += 1) await call();
    const waiting = await verify();
    expect(waiting).toMatchObject({ ok: true, unsealedRows: 4, sealedRows: before.sealedRows, firstBroken: null });
    const fresh = createAuditSealer({ database: pact.database, keys: createSealKeys(pact.masterKey), logger: createLogger({ level: 'silent' }), intervalMs: 0 });
    expect(await fresh.sealNow()).toBe(4);
    expect(await verify()).toMatchObject({ ok: true, unsealedRows: 0, sealedRows: before.sealedRows + 4 });
    await expectSealedOnce(demo());
  });

  it('two instances sealing at once never fork a chain: every row lands in exactly one seal', async () => {
    let other: Database = pact.database;
    if (pact.database.kind === 'postgres') {
      const [db] = await pact.sql<{ name: string }>(sql`select current_database() as name`);
      const url = new URL(process.env.DATABASE_URL ?? '');
      url.pathname = `/${db?.name}`;
      other = await openDatabase({ url: url.toString(), max: 4 });
    }
    const second = await startTestPact({ database: { database: other, masterKey: pact.masterKey, seed: pact.seed } });
    const sealers = [pact.services.auditSealer, second.services.auditSealer];
    let calling = true;
    const race = sealers.map(async (sealer) => {
      while (calling) {
        await sealer.sealNow();
        await new Promise((r) => setImmediate(r));
      }
    });
    const calls = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? pact : second).gql('{ accounts(first: 1) { returned } }', {}, { token: i % 3 === 0 ? globex : key }));
    expect((await Promise.all(calls)).every((r) => r.status === 200)).toBe(true);
    calling = false;
    await Promise.all(race);
    await Promise.all(sealers.map((s) => s.sealNow()));
    for (const tenantId of [demo(), pact.seed.secondTenantId]) {
      expect(await verify(tenantId)).toMatchObject({ ok: true, unsealedRows: 0 });
      await expectSealedOnce(tenantId);
    }
    await second.close();
    if (other !== pact.database) await other.close();
  });
});

describe('the application role', () => {
  const asApp = (q: SQL) => pact.database.withTenant(demo(), (tx) => tx.execute(q));

  it('inserts audit rows but can neither change them nor write seals or take rows off the sealing queue', async () => {
    const [row] = await pact.sql<{ id: string }>(sql`select id from audit_log where tenant_id = ${demo()} limit 1`);
    expect(await dbError(asApp(sql`update audit_log set outcome = 'error' where id = ${row?.id}`))).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`delete from audit_log where id = ${row?.id}`))).toMatch(/permission denied/);
    expect(
      await dbError(asApp(sql`insert into audit_seals (tenant_id, seq, row_count, first_row_seq, last_row_seq, root, prev_hash, hash, hmac, sealed_at)
        values (${demo()}, 999, 0, 0, 0, 'r', 'p', 'h', 'm', now())`)),
    ).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`update audit_seals set root = 'r'`))).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`delete from audit_seals`))).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`insert into audit_sealed_rows (audit_id, tenant_id, seal_seq) values (${newId()}, ${demo()}, 1)`))).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`delete from audit_sealed_rows`))).toMatch(/permission denied/);
    expect(await dbError(asApp(sql`delete from audit_pending`))).toMatch(/permission denied/);
    const [grants] = await pact.sql<{ n: number }>(sql`
      select count(*)::int as n from information_schema.role_table_grants
      where grantee = 'pact_app' and table_name in ('audit_log', 'audit_seals', 'audit_sealed_rows', 'audit_pending')
        and privilege_type in ('UPDATE', 'DELETE', 'TRUNCATE')`);
    expect(grants?.n).toBe(0);
  });
});
