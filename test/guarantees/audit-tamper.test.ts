import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { eq, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { createSealKeys, rowMacOf } from '../../src/services/audit/seal-format';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let admin: string;
let member: string;
let key: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pact-audit-'));
  pact = await startTestPact();
  admin = await pact.signIn('admin@pact.demo');
  member = await pact.signIn('member@pact.demo');
  key = await pact.mintKey(admin, ['read:accounts']);
  for (let i = 0; i < 6; i += 1) await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: key });
  await pact.services.auditSealer.sealNow();
});
afterAll(async () => {
  await pact.close();
  rmSync(dir, { recursive: true, force: true });
});

const demo = () => pact.seed.demoTenantId;
const verify = () => pact.database.withSystem((tx) => pact.services.audit.verify(tx, demo()), { snapshot: true });

interface Verification {
  ok: boolean;
  seals: number;
  sealedRows: number;
  unsealedRows: number;
  lastSeal: { seq: number; hash: string } | null;
  firstBroken: { sealSeq: number | null; rowId: string | null; rowSeq: number | null; reason: string } | null;
}
const overGraphql = async (token = admin) => {
  const res = await pact.gql<{ auditVerification: Verification }>(
    '{ auditVerification { ok seals sealedRows unsealedRows lastSeal { seq hash } firstBroken { sealSeq rowId rowSeq reason } } }',
    {},
    { token },
  );
  return res;
};
const graphqlReport = async () => (await overGraphql()).body.data?.auditVerification;

/** Runs statements as the database owner with the append-only triggers off: tampering behind the application. */
const behindTheApp = (...statements: SQL[]) =>
  pact.database.withSystem(async (tx) => {
    for (const table of ['audit_log', 'audit_seals', 'audit_sealed_rows']) await tx.execute(sql.raw(`alter table ${table} disable trigger user`));
    for (const statement of statements) await tx.execute(statement);
    for (const table of ['audit_log', 'audit_seals', 'audit_sealed_rows']) await tx.execute(sql.raw(`alter table ${table} enable trigger user`));
  });

const sealedRow = async () => {
  const [row] = await pact.sql<{ id: string; seal: number }>(sql`
    select a.id, s.seal_seq::int as seal from audit_log a join audit_sealed_rows s on s.audit_id = a.id
    where a.tenant_id = ${demo()} order by a.seq offset 2 limit 1`);
  if (!row) throw new Error('no sealed row');
  const [full] = await pact.database.withSystem((tx) => tx.select().from(auditLog).where(eq(auditLog.id, row.id)));
  if (!full) throw new Error('no row');
  return { ...full, seal: row.seal };
};

describe('auditVerification (GraphQL)', () => {
  it('shows owners, admins and read:audit keys an intact log and refuses everyone else', async () => {
    const report = await graphqlReport();
    expect(report).toMatchObject({ ok: true, firstBroken: null });
    expect(report?.seals).toBeGreaterThan(0);
    expect(report?.sealedRows).toBe((await verify()).sealedRows);
    expect(report?.lastSeal?.hash).toMatch(/^[0-9a-f]{64}$/);
    for (const token of [member, key]) {
      const refused = await overGraphql(token);
      expect(refused.body.data?.auditVerification ?? null).toBeNull();
      // The read:audit scope: owners and admins hold it, an auditor key can be given it.
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'read:audit' });
    }
  });
});

describe('tampering behind the application', () => {
  it('finds an edited sealed row, and passes again once it is put back', async () => {
    const victim = await sealedRow();
    await behindTheApp(sql`update audit_log set outcome = 'error', error_code = 'HIDDEN' where id = ${victim.id}`);
    const expected = { ok: false, firstBroken: { sealSeq: victim.seal, rowId: victim.id, rowSeq: victim.seq, reason: 'row content does not match its MAC' } };
    expect(await verify()).toMatchObject(expected);
    expect(await graphqlReport()).toMatchObject(expected);
    await behindTheApp(sql`update audit_log set outcome = ${victim.outcome}, error_code = ${victim.errorCode} where id = ${victim.id}`);
    expect(await verify()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('finds a deleted sealed row', async () => {
    const { seal, ...victim } = await sealedRow();
    await behindTheApp(sql`delete from audit_log where id = ${victim.id}`);
    const expected = { ok: false, firstBroken: { sealSeq: seal, rowId: victim.id, rowSeq: null, reason: 'a sealed row is missing' } };
    expect(await verify()).toMatchObject(expected);
    expect(await graphqlReport()).toMatchObject(expected);
    await pact.database.withSystem((tx) => tx.insert(auditLog).values(victim));
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('finds a row inserted into a sealed batch, even one carrying a valid MAC', async () => {
    const id = newId();
    const content = {
      id, tenantId: demo(), at: new Date('2020-01-01T00:00:00Z'), path: 'graphql' as const, operation: 'accounts', userId: null, apiKeyId: null,
      client: null, argDigest: 'x', latencyMs: 1, resultCount: 1, consentHidden: 0, outcome: 'ok' as const, errorCode: null, costMicrocents: 0,
    };
    const mac = rowMacOf(createSealKeys(pact.masterKey), content);
    await behindTheApp(
      sql`insert into audit_log (id, tenant_id, at, path, operation, arg_digest, latency_ms, result_count, outcome, row_mac)
          values (${id}, ${demo()}, ${content.at.toISOString()}, 'graphql', 'accounts', 'x', 1, 1, 'ok', ${mac})`,
      sql`insert into audit_sealed_rows (audit_id, tenant_id, seal_seq) values (${id}, ${demo()}, 1)`,
    );
    const [seal] = await pact.sql<{ n: number }>(sql`select row_count as n from audit_seals where tenant_id = ${demo()} and seq = 1`);
    const expected = { ok: false, firstBroken: { sealSeq: 1, reason: `seal lists ${(seal?.n ?? 0) + 1} row(s) but was made over ${seal?.n}` } };
    expect(await verify()).toMatchObject(expected);
    expect(await graphqlReport()).toMatchObject(expected);
    await behindTheApp(sql`delete from audit_sealed_rows where audit_id = ${id}`, sql`delete from audit_log where id = ${id}`);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('finds a forged row that no seal lists yet', async () => {
    const id = newId();
    await behindTheApp(sql`insert into audit_log (id, tenant_id, path, operation, arg_digest, latency_ms, outcome, row_mac)
      values (${id}, ${demo()}, 'graphql', 'accounts', 'x', 1, 'ok', ${'0'.repeat(64)})`);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBroken: { sealSeq: null, rowId: id, reason: 'row content does not match its MAC' } });
    expect(report.unsealedRows).toBeGreaterThanOrEqual(1);
    await behindTheApp(sql`delete from audit_log where id = ${id}`);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('finds an edited seal', async () => {
    const [seal] = await pact.sql<{ root: string }>(sql`select root from audit_seals where tenant_id = ${demo()} and seq = 1`);
    await behindTheApp(sql`update audit_seals set root = ${'0'.repeat(64)} where tenant_id = ${demo()} and seq = 1`);
    expect(await verify()).toMatchObject({ ok: false, firstBroken: { sealSeq: 1, rowId: null, reason: 'seal does not match its signature' } });
    await behindTheApp(sql`update audit_seals set root = ${seal?.root} where tenant_id = ${demo()} and seq = 1`);
    expect(await verify()).toMatchObject({ ok: true });
  });
});

describe('rows not sealed yet', () => {
  it('are counted, never a failure', async () => {
    await pact.services.auditSealer.stop();
    await pact.services.auditSealer.sealNow();
    for (let i = 0; i < 3; i += 1) await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: key });
    expect(await verify()).toMatchObject({ ok: true, unsealedRows: 3, firstBroken: null });
    expect(await graphqlReport()).toMatchObject({ ok: true, unsealedRows: 3, firstBroken: null });
  });
});

describe('npm run audit:verify', () => {
  const run = async () => {
    let env: Record<string, string>;
    const masterKey = pact.masterKey.toString('hex');
    if (pact.database.kind === 'postgres') {
      const [db] = await pact.sql<{ name: string }>(sql`select current_database() as name`);
      const url = new URL(process.env.DATABASE_URL ?? '');
      url.pathname = `/${db?.name}`;
      env = { DATABASE_URL: url.toString(), PACT_MASTER_KEY: masterKey };
    } else {
      // The embedded database as a data directory, the way `npm start` leaves it.
      const data = mkdtempSync(join(dir, 'data-'));
      const copy = await PGlite.create({ dataDir: join(data, 'pgdata'), loadDataDir: await pact.database.dumpDataDir() });
      await copy.close();
      writeFileSync(join(data, 'master.key'), `${masterKey}\n`, { mode: 0o600 });
      env = { PACT_DATA_DIR: data };
    }
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/verify-audit.ts'], {
        cwd: new URL('../..', import.meta.url),
        env: { ...process.env, DATABASE_URL: '', PACT_MASTER_KEY: '', LOG_LEVEL: 'silent', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
  };

  it('passes with rows not sealed yet (and says how many), and fails naming an edited row', async () => {
    const unsealed = (await verify()).unsealedRows;
    expect(unsealed).toBeGreaterThan(0);
    const intact = await run();
    expect(intact.out).toMatch(new RegExp(`✓ demo: \\d+ sealed audit row\\(s\\) in \\d+ seal\\(s\\), intact, ${unsealed} not sealed yet`));
    expect(intact.code).toBe(0);
    const victim = await sealedRow();
    await behindTheApp(sql`update audit_log set cost_microcents = 0, latency_ms = latency_ms + 1 where id = ${victim.id}`);
    const broken = await run();
    expect(broken.out).toContain(`✗ demo: seal ${victim.seal}, row ${victim.id}: row content does not match its MAC`);
    expect(broken.code).toBe(1);
  }, 180_000);
});
